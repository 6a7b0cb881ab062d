//! markdown writer (in progress).
