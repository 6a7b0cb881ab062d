//! File names from the template.
