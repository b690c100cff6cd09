//! The signed-in shopper's cart: one cart per account (`customers.cart_id`), reached from every
//! device they sign in on. On sign-in the device's guest cart merges into it.
//!
//! The merge is three idempotent cart calls: the guest cart gives its holds back and tells what it
//! holds (`Vacate`, contents kept), the account cart merges that once per guest cart id (`Absorb`,
//! re-holding stock), and the guest cart empties (`Clear`). A failure between steps loses nothing:
//! the next sign-in repeats what is missing, and the account cart never merges the same cart twice.

use super::cart::{cart_call, new_cart_id};
use crate::app::accounts::{cart_owners_sql, claim_cart_batch, CustomerRow};
use crate::app::cart::{CartCall, CartReply};
use crate::app::db::{expect_n, Db};
use crate::app::promotions::CountRow;
use crate::domain::cart::CartId;
use crate::domain::error::AppError;
use crate::platform::d1::D1;
use serde::Deserialize;
use worker::Env;

#[derive(Deserialize)]
struct CartIdRow {
    cart_id: Option<String>,
}

/// The account's cart as its row names it (a malformed id in the row counts as none).
fn account_cart(customer: &CustomerRow) -> Option<CartId> {
    customer.cart_id.as_deref().and_then(CartId::parse)
}

/// Makes `cart_id` the account's cart if it has none; answers with the account's cart afterwards
/// (`None` when `cart_id` belongs to another account and this one has no cart).
async fn claim(db: &D1, customer_id: &str, cart_id: &CartId) -> Result<Option<CartId>, AppError> {
    let [_, owned] = expect_n::<2>(db.batch(&claim_cart_batch(customer_id, cart_id.as_str())).await?, "claim cart")?;
    let row: Option<CartIdRow> = owned.first()?;
    Ok(row.and_then(|r| r.cart_id).as_deref().and_then(CartId::parse))
}

/// The cart a cart page or action works on. A guest uses the device's cart. A signed-in shopper
/// uses the account's cart; without one, the device's cart becomes it, or (`create`) a new one.
pub async fn resolve(db: &D1, customer: Option<&CustomerRow>, device: Option<CartId>, create: bool) -> Result<Option<CartId>, AppError> {
    let Some(customer) = customer else { return Ok(device) };
    if let Some(id) = account_cart(customer) {
        return Ok(Some(id));
    }
    if let Some(device) = device {
        if let Some(id) = claim(db, &customer.id, &device).await? {
            return Ok(Some(id));
        }
    }
    if !create {
        return Ok(None);
    }
    claim(db, &customer.id, &new_cart_id()?).await
}

/// On sign-in: the cart the device should carry from now on and its item count, after merging the
/// device's guest cart into the account's cart.
pub async fn on_sign_in(env: &Env, db: &D1, customer: &CustomerRow, device: Option<CartId>) -> Result<Option<(CartId, i64)>, AppError> {
    let account = match (account_cart(customer), &device) {
        (Some(a), _) => Some(a),
        (None, Some(d)) => claim(db, &customer.id, d).await?,
        (None, None) => None,
    };
    let Some(account) = account else { return Ok(None) };
    if let Some(guest) = device.filter(|d| *d != account) {
        merge(env, db, &customer.id, &guest, &account).await?;
    }
    let count = match cart_call(env, &account, &CartCall::View).await? {
        CartReply::Cart { cart } => cart.item_count,
        _ => 0,
    };
    Ok(Some((account, count)))
}

async fn merge(env: &Env, db: &D1, customer_id: &str, guest: &CartId, account: &CartId) -> Result<(), AppError> {
    // A cart another account owns is not a guest cart: never merge it (a cookie left on a shared device).
    let owners = db.first::<CountRow>(&cart_owners_sql(customer_id, guest.as_str())).await?.map_or(0, |r| r.n);
    if owners > 0 {
        return Ok(());
    }
    let contents = match cart_call(env, guest, &CartCall::Vacate).await? {
        CartReply::Contents { contents } => contents,
        _ => return Err(AppError::Internal("unexpected reply to vacate".into())),
    };
    if contents.lines.is_empty() && contents.codes.is_empty() {
        return Ok(());
    }
    match cart_call(env, account, &CartCall::Absorb { source: guest.clone(), contents }).await? {
        CartReply::Cart { .. } => {}
        _ => return Err(AppError::Internal("the account cart refused the merge".into())),
    }
    cart_call(env, guest, &CartCall::Clear).await?;
    Ok(())
}
