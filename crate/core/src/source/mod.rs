//! Readers. Each produces [`crate::Transcript`]s.

pub mod api;
pub mod export;
