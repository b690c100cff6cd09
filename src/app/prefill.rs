//! A signed-in shopper's checkout: the form pre-filled from the profile and the address book, the
//! saved address they pick applied on submission (only one of their own), and "a new address" that
//! may be saved to the book once the order is placed.

pub use super::address_book::SavedAddress;
use super::accounts::CustomerRow;
use super::sql::Sql;
use crate::domain::checkout::{AddressForm, CheckoutForm, CheckoutRequest};
use crate::domain::phone::{display_phone, Phone};

/// The value of the address choice that means "the fields below, a new address".
pub const NEW_ADDRESS: &str = "new";

/// The address checkout selects first: the book's default (the first saved, unless the customer
/// chose another), or the first listed when none is marked.
pub fn default_address(saved: &[SavedAddress]) -> Option<&SavedAddress> {
    saved.iter().find(|a| a.default).or_else(|| saved.first())
}

/// The address fields as a saved address fills them (its province and ward codes too; an address
/// saved before codes were kept fills the free-text fields only, and the form asks for the codes).
fn address_form(a: &SavedAddress) -> AddressForm {
    AddressForm {
        line1: a.line1.clone(),
        ward: a.ward.clone(),
        district: a.district.clone(),
        province: a.province.clone(),
        country: a.country.clone(),
        province_code: a.province_code.clone().unwrap_or_default(),
        ward_code: a.ward_code.clone().unwrap_or_default(),
        postal_code: a.postal_code.clone(),
    }
}

/// The checkout form a signed-in shopper first sees, and which address choice is selected: contact
/// details from the profile (the phone as people read it), the default saved address in the
/// address fields, or none of them (`NEW_ADDRESS`) with an empty book. The recipient's name and
/// phone fall back to the address's own when the profile lacks them.
pub fn prefill(customer: &CustomerRow, saved: &[SavedAddress]) -> (CheckoutForm, String) {
    let chosen = default_address(saved);
    let pick = |profile: &str, from_address: Option<&str>| if profile.trim().is_empty() { from_address.unwrap_or("").to_string() } else { profile.to_string() };
    let form = CheckoutForm {
        email: customer.email.clone(),
        name: pick(&customer.name, chosen.map(|a| a.name.as_str())),
        phone: readable(&pick(&customer.phone, chosen.map(|a| a.phone.as_str()))),
        address: chosen.map(address_form).unwrap_or_default(),
        ..CheckoutForm::default()
    };
    (form, chosen.map_or_else(|| NEW_ADDRESS.to_string(), |a| a.id.clone()))
}

/// A stored phone as people read it (one stored in another spelling is read first).
fn readable(phone: &str) -> String {
    Phone::parse(phone, "VN").map_or_else(|| display_phone(phone), |p| p.display())
}

/// What the submitted choice means for the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressChoice {
    /// One of the shopper's saved addresses: its fields replace whatever the form's address says.
    Saved(String),
    /// The form's own fields; `save`: add them to the book once the order is placed.
    New { save: bool },
}

/// Applies the submitted choice to the form: a saved address of this shopper replaces the address
/// fields (and fills an empty name or phone); an id that is not theirs, or "new", keeps the
/// typed fields. `save_box`: the "save this address" checkbox.
pub fn apply_choice(form: &mut CheckoutForm, choice: &str, save_box: bool, saved: &[SavedAddress]) -> AddressChoice {
    match saved.iter().find(|a| a.id == choice) {
        Some(a) => {
            form.address = address_form(a);
            if form.name.trim().is_empty() {
                form.name = a.name.clone();
            }
            if form.phone.trim().is_empty() {
                form.phone = a.phone.clone();
            }
            AddressChoice::Saved(a.id.clone())
        }
        None => AddressChoice::New { save: save_box },
    }
}

/// The statement that saves the order's new address to the customer's book (the book's own limit
/// applies), unless an identical one is there already.
pub fn save_address_sql(address_id: &str, customer_id: &str, request: &CheckoutRequest, saved: &[SavedAddress], now: i64) -> Option<Sql> {
    let a = &request.address;
    let same = saved.iter().any(|s| {
        s.line1 == a.line1
            && s.ward == a.ward
            && s.district == a.district
            && s.province == a.province
            && s.country == a.country
            && s.province_code == a.province_code
            && s.ward_code == a.ward_code
            && s.postal_code == a.postal_code
            && s.name == request.name
    });
    (!same).then(|| super::address_book::insert_sql(address_id, customer_id, &request.name, request.phone.as_str(), a, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};
    use crate::app::db::Db;
    use crate::domain::checkout::validate;

    fn customer(name: &str, phone: &str) -> CustomerRow {
        CustomerRow {
            id: "c1".into(),
            email: "an@example.vn".into(),
            email_verified_at: Some(1),
            name: name.into(),
            phone: phone.into(),
            password_hash: None,
            cart_id: None,
            created_at: 1,
        }
    }

    fn address(id: &str, line1: &str, default: bool) -> SavedAddress {
        SavedAddress {
            id: id.into(),
            name: "Nguyễn An".into(),
            phone: "+84987654321".into(),
            line1: line1.into(),
            ward: "Phường Ba Đình".into(),
            district: String::new(),
            province: "Thành phố Hà Nội".into(),
            country: "VN".into(),
            province_code: Some("01".into()),
            ward_code: Some("00070".into()),
            postal_code: String::new(),
            default,
        }
    }

    #[test]
    fn the_profile_and_the_default_address_fill_the_form() {
        let book = [address("a2", "2 Lê Lợi", true), address("a1", "1 Lê Lợi", false)];
        let (form, chosen) = prefill(&customer("An", "+84912345678"), &book);
        assert_eq!((form.email.as_str(), form.name.as_str(), form.phone.as_str()), ("an@example.vn", "An", "0912 345 678"));
        assert_eq!((chosen.as_str(), form.address.line1.as_str(), form.address.country.as_str()), ("a2", "2 Lê Lợi", "VN"));
        assert_eq!((form.address.province_code.as_str(), form.address.ward_code.as_str()), ("01", "00070"), "the codes come with it");
        // The order of the rows does not decide: the default does.
        let reversed = [address("a1", "1 Lê Lợi", false), address("a2", "2 Lê Lợi", true)];
        assert_eq!(prefill(&customer("An", ""), &reversed).1, "a2");
        // A profile without name or phone takes the address's.
        let (form, _) = prefill(&customer("", ""), &book);
        assert_eq!((form.name.as_str(), form.phone.as_str()), ("Nguyễn An", "0987 654 321"));
        // No saved address: a new one, empty fields.
        let (form, chosen) = prefill(&customer("An", ""), &[]);
        assert_eq!((chosen.as_str(), form.address.line1.as_str()), (NEW_ADDRESS, ""));
    }

    #[test]
    fn a_chosen_saved_address_replaces_the_typed_one_and_anothers_id_does_not() {
        let book = [address("a2", "2 Lê Lợi", true), address("a1", "1 Lê Lợi", false)];
        let mut form = CheckoutForm { name: "An".into(), phone: "0912345678".into(), note: Some("gọi trước".into()), ..CheckoutForm::default() };
        form.address.line1 = "typed".into();
        assert_eq!(apply_choice(&mut form, "a1", false, &book), AddressChoice::Saved("a1".into()));
        assert_eq!((form.address.line1.as_str(), form.name.as_str(), form.phone.as_str()), ("1 Lê Lợi", "An", "0912345678"));
        assert_eq!(form.note.as_deref(), Some("gọi trước"));
        let mut form = CheckoutForm::default();
        form.address.line1 = "typed".into();
        assert_eq!(apply_choice(&mut form, "someone-elses", true, &book), AddressChoice::New { save: true });
        assert_eq!(form.address.line1, "typed");
        assert_eq!(apply_choice(&mut form, NEW_ADDRESS, false, &book), AddressChoice::New { save: false });
    }

    #[test]
    fn a_new_address_is_saved_once_to_the_book() {
        let db = Sqlite::demo();
        db.exec("INSERT INTO customers (id, email, created_at, updated_at) VALUES ('c1', 'an@example.vn', 1, 1)");
        let mut form = CheckoutForm { name: "An".into(), phone: "0912 345 678".into(), shipping_method: "standard".into(), payment_provider: "sandbox".into(), ..CheckoutForm::default() };
        form.address = AddressForm { line1: "5 Đồng Khởi".into(), province_code: "01".into(), ward_code: "00070".into(), ..AddressForm::default() };
        let request = validate(&form, &["sandbox"]).unwrap();
        let sql = save_address_sql("a9", "c1", &request, &[], 50).unwrap();
        block_on(db.batch(&[sql])).unwrap();
        let saved: Vec<SavedAddress> = block_on(db.all(&crate::app::address_book::addresses_sql("c1"))).unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!((saved[0].line1.as_str(), saved[0].phone.as_str(), saved[0].country.as_str()), ("5 Đồng Khởi", "+84912345678", "VN"));
        assert_eq!((saved[0].province_code.as_deref(), saved[0].ward_code.as_deref(), saved[0].default), (Some("01"), Some("00070"), true));
        assert_eq!(save_address_sql("a10", "c1", &request, &saved, 60), None, "the same address is not saved twice");
    }
}
