//! Relevance set (being written).
