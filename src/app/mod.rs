//! Use cases over small storage ports. Still no `worker` types: the SQL is built here, as data, and
//! the platform layer only sends it to D1.

pub mod analytics;
pub mod availability;
pub mod inventory;
pub mod newsletter;
pub mod cart;
pub mod accounts;
pub mod address_book;
pub mod admin;
pub mod admin_catalog;
pub mod admin_orders;
pub mod admin_product;
pub mod alerts;
pub mod api_tokens;
pub mod catalog;
pub mod catalog_import;
pub mod checkout;
pub mod cod;
pub mod consent;
pub mod db;
pub mod product_media;
pub mod taxonomy;
pub mod order_lookup;
pub mod orders;
pub mod outbox;
pub mod bank;
pub mod prefill;
pub mod payments;
pub mod privacy;
pub mod refunds;
pub mod reviews;
pub mod regions;
pub mod sentiment;
pub mod shipping;
pub mod search;
pub mod sign_in;
pub mod promotion_form;
pub mod promotions;
pub mod social;
pub mod sql;
pub mod stock;
#[cfg(test)]
pub mod testing;
