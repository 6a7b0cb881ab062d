//! json writer (in progress).
