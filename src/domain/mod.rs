//! The pure core: types and rules with no I/O and no `worker` import, tested on the host.

pub mod catalog;
pub mod error;
pub mod http_cache;
pub mod listing;
pub mod locale;
pub mod money;
pub mod search;
pub mod slug;
