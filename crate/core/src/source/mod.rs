//! Readers. Each produces [`crate::Transcript`]s.

pub mod api;
mod canvas;
mod convo;
pub mod export;
pub mod page;
mod raw;
pub mod share;
pub mod split;
mod text;
