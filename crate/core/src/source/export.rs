//! The official export.
