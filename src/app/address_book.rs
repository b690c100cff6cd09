//! The account's address book: saved addresses by province and ward code in Vietnam (free text
//! abroad), edited in place, one of them the default (the checkout pre-fills it). Addresses saved
//! before 2025-07-01's reform keep their district and free-text province and are shown as they
//! were until edited.

use serde::{Deserialize, Deserializer, Serialize};

use super::checkout::locate_address;
use super::db::{Db, DbError, Sql};
use crate::domain::checkout::{Address, AddressForm, Phone, MAX_TEXT_CHARS};
use crate::domain::listing::{FieldError, Problem};

/// At most this many saved addresses per account.
pub const MAX_ADDRESSES: i64 = 20;

/// A saved address. `default` marks the one checkout starts from (at most one per account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAddress {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub line1: String,
    pub ward: String,
    /// Only on addresses saved before the 2025 reform (empty since).
    pub district: String,
    pub province: String,
    pub country: String,
    /// `None` on addresses saved before codes were kept (shown as typed).
    #[serde(default)]
    pub province_code: Option<String>,
    #[serde(default)]
    pub ward_code: Option<String>,
    #[serde(default)]
    pub postal_code: String,
    #[serde(rename = "default", alias = "is_default", deserialize_with = "flag", default)]
    pub default: bool,
}

/// SQLite and D1 give booleans as 0/1.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Int(i64),
        Bool(bool),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Int(n) => n != 0,
        Flag::Bool(b) => b,
    })
}

/// The account's addresses, the default first, then in the order they were saved.
pub fn addresses_sql(customer_id: &str) -> Sql {
    Sql::new(
        "SELECT id, name, phone, line1, ward, district, province, country, province_code, ward_code, postal_code, is_default \
         FROM addresses WHERE customer_id = ? ORDER BY is_default DESC, created_at, rowid",
    )
    .bind(customer_id)
}

pub async fn addresses(db: &impl Db, customer_id: &str) -> Result<Vec<SavedAddress>, DbError> {
    db.all(&addresses_sql(customer_id)).await
}

/// An address as typed into the account's form.
#[derive(Clone, Debug, Default)]
pub struct AddressInput {
    pub name: String,
    pub phone: String,
    pub address: AddressForm,
    /// "Make this my default address".
    pub make_default: bool,
}

/// Why a save did not happen.
#[derive(Debug, PartialEq, Eq)]
pub enum SaveError {
    Invalid(Vec<FieldError>),
    /// No such address in this account (editing someone else's is the same answer).
    NotFound,
    /// The account already has `MAX_ADDRESSES`.
    TooMany,
}

/// Checks an address as checkout does (Vietnam: a province and one of its wards, by code, their
/// official names filled in; abroad: free text and a postal code) plus a name and phone.
pub async fn check(db: &impl Db, input: &AddressInput) -> Result<Result<(String, String, Address), Vec<FieldError>>, DbError> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError { field: "name", problem: Problem::Required });
    } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError { field: "name", problem: Problem::TooLong { max: 100 } });
    }
    // The place is checked by the checkout's own rules, with a stand-in for its other fields.
    let form = crate::domain::checkout::CheckoutForm {
        email: "address-book@example.invalid".into(),
        name: if name.is_empty() { "-".into() } else { name.clone() },
        phone: input.phone.clone(),
        address: input.address.clone(),
        shipping_method: "standard".into(),
        payment_provider: "-".into(),
        note: None,
    };
    let mut address = match crate::domain::checkout::validate(&form, &["-"]) {
        Ok(request) => Some(request.address),
        Err(problems) => {
            errors.extend(problems.into_iter().filter(|e| e.field != "name"));
            None
        }
    };
    if let Some(a) = address.as_mut() {
        if let Err(problems) = locate_address(db, a).await? {
            errors.extend(problems);
        }
        if a.line1.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError { field: "address.line1", problem: Problem::TooLong { max: MAX_TEXT_CHARS } });
        }
    }
    let country = address.as_ref().map_or("VN", |a| a.country.as_str());
    let phone = Phone::parse(&input.phone, country);
    match (address, phone, errors.is_empty()) {
        (Some(address), Some(phone), true) => Ok(Ok((name, phone.as_str().to_string(), address))),
        _ => Ok(Err(errors)),
    }
}

/// Saves a new address (`id` the new id) or, with `editing`, replaces that one of the account's;
/// with `make_default` it becomes the default (the first address saved is the default anyway).
pub async fn save(db: &impl Db, customer_id: &str, editing: Option<&str>, new_id: &str, input: &AddressInput, now: i64) -> Result<Result<String, SaveError>, DbError> {
    let (name, phone, a) = match check(db, input).await? {
        Ok(ok) => ok,
        Err(errors) => return Ok(Err(SaveError::Invalid(errors))),
    };
    let id = editing.unwrap_or(new_id);
    let write = match editing {
        Some(id) => {
            let update = Sql::new(
                "UPDATE addresses SET name = ?, phone = ?, line1 = ?, ward = ?, district = ?, province = ?, country = ?, province_code = ?, \
                 ward_code = ?, postal_code = ? WHERE id = ? AND customer_id = ?",
            );
            bind_address(update.bind(name.as_str()).bind(phone.as_str()), &a).bind(id).bind(customer_id)
        }
        None => insert_sql(id, customer_id, name.as_str(), phone.as_str(), &a, now),
    };
    let results = db.batch(&[write]).await?;
    if results.first().is_none_or(|r| r.changes() == 0) {
        return Ok(Err(if editing.is_some() { SaveError::NotFound } else { SaveError::TooMany }));
    }
    if input.make_default && !set_default(db, customer_id, id).await? {
        return Ok(Err(SaveError::NotFound));
    }
    Ok(Ok(id.to_string()))
}

/// Adds an address to the account's book (at most `MAX_ADDRESSES`: the insert is gated on the
/// count; the first address saved is the default). `changes() = 0`: the book is full.
pub fn insert_sql(id: &str, customer_id: &str, name: &str, phone: &str, a: &Address, now: i64) -> Sql {
    let insert = Sql::new(
        "INSERT INTO addresses (id, customer_id, name, phone, line1, ward, district, province, country, province_code, ward_code, \
         postal_code, is_default, created_at) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM addresses WHERE customer_id = ?), ? \
         WHERE (SELECT COUNT(*) FROM addresses WHERE customer_id = ?) < ?",
    )
    .bind(id)
    .bind(customer_id)
    .bind(name)
    .bind(phone);
    bind_address(insert, a).bind(customer_id).bind(now).bind(customer_id).bind(MAX_ADDRESSES)
}

/// Binds an address's columns in the order the insert and the update name them: line1, ward,
/// district, province, country, province_code, ward_code, postal_code.
fn bind_address(sql: Sql, a: &Address) -> Sql {
    sql.bind(a.line1.as_str())
        .bind(a.ward.as_str())
        .bind(a.district.as_str())
        .bind(a.province.as_str())
        .bind(a.country.as_str())
        .bind(a.province_code.as_deref())
        .bind(a.ward_code.as_deref())
        .bind(a.postal_code.as_str())
}

/// Makes `id` the account's default address, in one transaction (the previous default stops
/// being one first, so the one-default index always holds); `false` if it is not the account's.
pub async fn set_default(db: &impl Db, customer_id: &str, id: &str) -> Result<bool, DbError> {
    let owned = "EXISTS (SELECT 1 FROM addresses WHERE id = ? AND customer_id = ?)";
    let results = db
        .batch(&[
            Sql::new(format!("UPDATE addresses SET is_default = 0 WHERE customer_id = ? AND is_default = 1 AND id <> ? AND {owned}"))
                .bind(customer_id)
                .bind(id)
                .bind(id)
                .bind(customer_id),
            Sql::new("UPDATE addresses SET is_default = 1 WHERE id = ? AND customer_id = ?").bind(id).bind(customer_id),
        ])
        .await?;
    Ok(results.get(1).is_some_and(|r| r.changes() > 0))
}

/// Removes an address of the account's; if it was the default, the oldest remaining one becomes
/// the default. `false` if it is not the account's.
pub async fn remove(db: &impl Db, customer_id: &str, id: &str) -> Result<bool, DbError> {
    let results = db
        .batch(&[
            Sql::new("DELETE FROM addresses WHERE id = ? AND customer_id = ?").bind(id).bind(customer_id),
            Sql::new(
                "UPDATE addresses SET is_default = 1 WHERE id = (SELECT id FROM addresses WHERE customer_id = ? ORDER BY created_at, rowid LIMIT 1) \
                 AND NOT EXISTS (SELECT 1 FROM addresses WHERE customer_id = ? AND is_default = 1)",
            )
            .bind(customer_id)
            .bind(customer_id),
        ])
        .await?;
    Ok(results.first().is_some_and(|r| r.changes() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    fn shop() -> Sqlite {
        let db = Sqlite::migrated();
        db.exec("INSERT INTO customers (id, email, name, created_at, updated_at) VALUES ('c1', 'a@b.vn', 'An', 0, 0), ('c2', 'b@b.vn', 'Bình', 0, 0)");
        db
    }

    fn hcm(line1: &str) -> AddressInput {
        AddressInput {
            name: "Nguyễn An".into(),
            phone: "0912 345 678".into(),
            address: AddressForm { line1: line1.into(), province_code: "79".into(), ward_code: "26743".into(), ..AddressForm::default() },
            make_default: false,
        }
    }

    fn book(db: &Sqlite, customer: &str) -> Vec<(String, String, bool)> {
        block_on(addresses(db, customer)).unwrap().into_iter().map(|a| (a.id, a.line1, a.default)).collect()
    }

    #[test]
    fn a_vietnamese_address_is_saved_by_code_with_its_official_names_and_the_first_is_the_default() {
        let db = shop();
        assert_eq!(block_on(save(&db, "c1", None, "a1", &hcm("1 Lê Lợi"), 1)).unwrap(), Ok("a1".into()));
        let saved = block_on(addresses(&db, "c1")).unwrap();
        let a = &saved[0];
        assert_eq!((a.province.as_str(), a.ward.as_str(), a.district.as_str()), ("Thành phố Hồ Chí Minh", "Phường Bến Thành", ""));
        assert_eq!((a.province_code.as_deref(), a.ward_code.as_deref(), a.phone.as_str(), a.default), (Some("79"), Some("26743"), "+84912345678", true));
        assert_eq!(serde_json::to_value(a).unwrap()["default"], true, "a clear `default` flag");
        block_on(save(&db, "c1", None, "a2", &hcm("2 Lê Lợi"), 2)).unwrap().unwrap();
        assert_eq!(book(&db, "c1"), vec![("a1".into(), "1 Lê Lợi".into(), true), ("a2".into(), "2 Lê Lợi".into(), false)]);
    }

    #[test]
    fn a_ward_of_another_province_or_a_missing_field_is_refused_with_the_fields() {
        let db = shop();
        let mut bad = hcm("1 Lê Lợi");
        bad.address.ward_code = "00070".into();
        let refused = block_on(save(&db, "c1", None, "a1", &bad, 1)).unwrap();
        assert_eq!(refused, Err(SaveError::Invalid(vec![FieldError { field: "address.ward_code", problem: Problem::UnknownChoice }])));
        let empty = AddressInput::default();
        let Err(SaveError::Invalid(errors)) = block_on(save(&db, "c1", None, "a1", &empty, 1)).unwrap() else { panic!() };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        for f in ["name", "phone", "address.line1", "address.province_code", "address.ward_code"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(book(&db, "c1").is_empty());
    }

    #[test]
    fn abroad_an_address_is_free_text_with_a_postal_code() {
        let db = shop();
        let input = AddressInput {
            name: "Tom".into(),
            phone: "+65 6123 4567".into(),
            address: AddressForm { line1: "1 Raffles Pl".into(), province: "Singapore".into(), postal_code: "048616".into(), country: "SG".into(), ..AddressForm::default() },
            make_default: false,
        };
        block_on(save(&db, "c1", None, "a1", &input, 1)).unwrap().unwrap();
        let a = &block_on(addresses(&db, "c1")).unwrap()[0];
        assert_eq!((a.country.as_str(), a.postal_code.as_str(), a.province_code.as_deref(), a.ward.as_str()), ("SG", "048616", None, ""));
    }

    #[test]
    fn an_address_is_edited_in_place_only_by_its_owner_and_a_legacy_one_loses_its_district() {
        let db = shop();
        db.exec(
            "INSERT INTO addresses (id, customer_id, name, phone, line1, ward, district, province, country, created_at) \
             VALUES ('old', 'c1', 'An', '+84912345678', '5 Hàng Bài', 'Tràng Tiền', 'Hoàn Kiếm', 'Hà Nội', 'VN', 0)",
        );
        let legacy = &block_on(addresses(&db, "c1")).unwrap()[0];
        assert_eq!((legacy.district.as_str(), legacy.province.as_str(), legacy.province_code.as_deref()), ("Hoàn Kiếm", "Hà Nội", None), "shown as it was");
        assert_eq!(block_on(save(&db, "c2", Some("old"), "x", &hcm("9 Lê Lợi"), 1)).unwrap(), Err(SaveError::NotFound), "not c2's");
        assert_eq!(block_on(save(&db, "c1", Some("old"), "x", &hcm("9 Lê Lợi"), 1)).unwrap(), Ok("old".into()));
        let edited = &block_on(addresses(&db, "c1")).unwrap()[0];
        assert_eq!((edited.line1.as_str(), edited.district.as_str(), edited.ward_code.as_deref()), ("9 Lê Lợi", "", Some("26743")));
        assert_eq!(db.int("SELECT COUNT(*) FROM addresses"), 1, "edited, not added");
    }

    #[test]
    fn one_default_per_account_moved_by_set_default_and_kept_when_the_default_is_removed() {
        let db = shop();
        for (id, line) in [("a1", "1"), ("a2", "2"), ("a3", "3")] {
            block_on(save(&db, "c1", None, id, &hcm(line), 1)).unwrap().unwrap();
        }
        block_on(save(&db, "c2", None, "b1", &hcm("x"), 1)).unwrap().unwrap();
        assert!(block_on(set_default(&db, "c1", "a3")).unwrap());
        assert_eq!(book(&db, "c1").iter().map(|(id, _, d)| (id.as_str(), *d)).collect::<Vec<_>>(), vec![("a3", true), ("a1", false), ("a2", false)]);
        assert!(!block_on(set_default(&db, "c2", "a1")).unwrap(), "not c2's");
        assert!(!block_on(set_default(&db, "c1", "b1")).unwrap(), "nor c1's to take");
        assert_eq!(db.int("SELECT COUNT(*) FROM addresses WHERE customer_id = 'c1' AND is_default = 1"), 1, "c1's default stayed");
        assert_eq!(db.int("SELECT is_default FROM addresses WHERE id = 'b1'"), 1);
        let mut again = hcm("2 again");
        again.make_default = true;
        block_on(save(&db, "c1", Some("a2"), "x", &again, 2)).unwrap().unwrap();
        assert_eq!(book(&db, "c1")[0].0, "a2", "saved as the default");
        assert!(block_on(remove(&db, "c1", "a2")).unwrap());
        assert_eq!(book(&db, "c1").iter().map(|(id, _, d)| (id.as_str(), *d)).collect::<Vec<_>>(), vec![("a1", true), ("a3", false)], "the oldest took over");
        assert!(!block_on(remove(&db, "c2", "a1")).unwrap());
    }

    #[test]
    fn an_account_keeps_at_most_twenty_addresses() {
        let db = shop();
        for i in 0..MAX_ADDRESSES {
            block_on(save(&db, "c1", None, &format!("a{i}"), &hcm("1"), 1)).unwrap().unwrap();
        }
        assert_eq!(block_on(save(&db, "c1", None, "one-more", &hcm("1"), 1)).unwrap(), Err(SaveError::TooMany));
    }
}
