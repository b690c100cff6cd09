//! The pure core: types and rules with no I/O and no `worker` import, tested on the host.

pub mod analytics;
pub mod admin;
pub mod cart;
pub mod catalog;
pub mod catalog_csv;
pub mod checkout;
pub mod csv;
pub mod error;
pub mod http_cache;
pub mod invoice;
pub mod jwt;
pub mod listing;
pub mod locale;
pub mod money;
pub mod orders;
pub mod payments;
pub mod promotions;
pub mod password;
pub mod sandbox;
pub mod search;
pub mod session;
pub mod security;
pub mod signature;
pub mod slug;
pub mod throttle;
pub mod time;
