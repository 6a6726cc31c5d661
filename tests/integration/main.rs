#![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]
//! The one integration-test binary: drives `fixkb::app()` over fixture content folders.

mod admin;
mod articles;
mod cli;
mod common;
mod compression;
mod fixes;
mod load_robustness;
mod meta;
mod real_content;
mod robustness;
mod search;
mod smoke;
mod store;
mod store_crash;
