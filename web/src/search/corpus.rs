//! A deterministic generator of realistic articles (being written).
