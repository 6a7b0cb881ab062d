//! html writer (in progress).
