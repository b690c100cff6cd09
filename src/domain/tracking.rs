//! After the order is placed: the carriers the shop ships with and their public tracking pages, and
//! the timeline the order page shows, built from the order's events and fields.

use serde::Serialize;

use super::money::Vnd;

/// The Vietnamese carriers the admin's carrier field offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    Ghn,
    Ghtk,
    ViettelPost,
    JtExpress,
    VnPost,
}

impl Carrier {
    pub const ALL: [Carrier; 5] = [Carrier::Ghn, Carrier::Ghtk, Carrier::ViettelPost, Carrier::JtExpress, Carrier::VnPost];

    /// The name the admin picks and the shopper reads.
    pub fn name(self) -> &'static str {
        match self {
            Carrier::Ghn => "GHN",
            Carrier::Ghtk => "GHTK",
            Carrier::ViettelPost => "Viettel Post",
            Carrier::JtExpress => "J&T Express",
            Carrier::VnPost => "VNPost",
        }
    }

    /// The carrier named by the admin's free-text field: its short or full name, in any case, with
    /// or without spaces, punctuation or Vietnamese diacritics ("ghn", "Giao Hàng Nhanh",
    /// "Viettel post", "J&T", "VN Post", "Bưu điện"). `None` for a carrier we do not know.
    pub fn parse(s: &str) -> Option<Carrier> {
        // Lowercase ASCII letters and digits, Vietnamese letters without their marks, `&` as `n`.
        let key: String = super::search::fold(s)
            .chars()
            .filter_map(|c| if c == '&' { Some('n') } else { c.is_ascii_alphanumeric().then_some(c) })
            .collect();
        Some(match key.as_str() {
            "ghn" | "giaohangnhanh" => Carrier::Ghn,
            "ghtk" | "giaohangtietkiem" => Carrier::Ghtk,
            "viettelpost" | "viettel" | "vtp" => Carrier::ViettelPost,
            "jt" | "jtexpress" | "jnt" | "jntexpress" => Carrier::JtExpress,
            "vnpost" | "vietnampost" | "buudien" | "buudienvietnam" | "ems" => Carrier::VnPost,
            _ => return None,
        })
    }

    /// The carrier's public page that tracks this parcel. `None` when the tracking number is empty
    /// or has anything but letters, digits and `-`/`_`/`.` (it goes into a URL).
    pub fn tracking_url(self, tracking: &str) -> Option<String> {
        let t = tracking.trim();
        let ok = !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return None;
        }
        Some(match self {
            Carrier::Ghn => format!("https://donhang.ghn.vn/?order_code={t}"),
            Carrier::Ghtk => format!("https://i.ghtk.vn/{t}"),
            Carrier::ViettelPost => format!("https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?key={t}"),
            Carrier::JtExpress => format!("https://jtexpress.vn/vi/tracking?type=track&billcode={t}"),
            Carrier::VnPost => format!("https://vnpost.vn/vi-vn/dinh-vi/buu-pham?key={t}"),
        })
    }
}

/// One step of an order's life, as the order page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Placed,
    /// Confirmed without payment yet (cash on delivery).
    Confirmed,
    Paid,
    Packed,
    Shipped,
    Delivered,
    /// The parcel came back to the shop (refused or undeliverable).
    Returned,
    Refunded,
    /// Paid after the order expired: the money is due back.
    RefundDue,
    Cancelled,
    Expired,
}

impl Step {
    pub fn code(self) -> &'static str {
        match self {
            Step::Placed => "placed",
            Step::Confirmed => "confirmed",
            Step::Paid => "paid",
            Step::Packed => "packed",
            Step::Shipped => "shipped",
            Step::Delivered => "delivered",
            Step::Returned => "returned",
            Step::Refunded => "refunded",
            Step::RefundDue => "refund_due",
            Step::Cancelled => "cancelled",
            Step::Expired => "expired",
        }
    }
}

/// The parcel as the shop recorded it when shipping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shipment {
    /// The carrier's name: ours for a known carrier, the admin's text otherwise.
    pub carrier: String,
    pub tracking_number: String,
    /// The carrier's tracking page, for a known carrier.
    pub url: Option<String>,
}

impl Shipment {
    pub fn new(carrier: &str, tracking_number: &str) -> Shipment {
        let known = Carrier::parse(carrier);
        Shipment {
            carrier: known.map_or_else(|| carrier.trim().to_string(), |c| c.name().to_string()),
            tracking_number: tracking_number.trim().to_string(),
            url: known.and_then(|c| c.tracking_url(tracking_number)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub at: i64,
    pub step: Step,
    /// For `Shipped`: the carrier and tracking number (when the shop entered them).
    pub shipment: Option<Shipment>,
    /// For `Refunded`: the amount of that refund (when the event records it).
    pub amount: Option<Vnd>,
}

/// An order event as the timeline reads it: when, the status it moved to (its code), and why.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    pub at: i64,
    pub to: &'a str,
    pub reason: &'a str,
}

/// The order's timeline, oldest first: placed (when it was created), then one entry per event that
/// a shopper cares about. The first `pending_payment` event is the placing itself; moves the
/// shopper does not need (unknown codes) are left out. `Shipped` carries the order's carrier and
/// tracking number; a refund carries its amount when its event says it (`refund of 50000 VND`).
pub fn timeline(created_at: i64, events: &[Event<'_>], carrier: Option<&str>, tracking_number: Option<&str>) -> Vec<Entry> {
    let mut out = vec![Entry { at: created_at, step: Step::Placed, shipment: None, amount: None }];
    for e in events {
        let refund = refund_amount(e.reason);
        let step = match e.to {
            _ if refund.is_some() => Step::Refunded,
            "confirmed" | "cod_pending" => Step::Confirmed,
            "paid" => Step::Paid,
            "packed" => Step::Packed,
            "fulfilled" | "shipped" => Step::Shipped,
            "delivered" => Step::Delivered,
            "returned" => Step::Returned,
            "refunded" | "partially_refunded" => Step::Refunded,
            "needs_refund" => Step::RefundDue,
            "cancelled" => Step::Cancelled,
            "expired" => Step::Expired,
            _ => continue,
        };
        if out.last().is_some_and(|last| last.step == step && step != Step::Refunded) {
            continue;
        }
        let shipment = match (step, carrier, tracking_number) {
            (Step::Shipped, Some(c), Some(t)) if !c.trim().is_empty() || !t.trim().is_empty() => Some(Shipment::new(c, t)),
            _ => None,
        };
        out.push(Entry { at: e.at, step, shipment, amount: refund.map(Vnd::new) });
    }
    out
}

/// The amount of a refund event's reason (`app::refunds` writes `refund of <đồng> <currency>`).
fn refund_amount(reason: &str) -> Option<i64> {
    let rest = reason.strip_prefix("refund of ")?;
    rest.split(' ').next()?.parse::<i64>().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_carrier_has_its_tracking_page() {
        let url = |c: Carrier| c.tracking_url("ABC123").unwrap();
        assert_eq!(url(Carrier::Ghn), "https://donhang.ghn.vn/?order_code=ABC123");
        assert_eq!(url(Carrier::Ghtk), "https://i.ghtk.vn/ABC123");
        assert_eq!(url(Carrier::ViettelPost), "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?key=ABC123");
        assert_eq!(url(Carrier::JtExpress), "https://jtexpress.vn/vi/tracking?type=track&billcode=ABC123");
        assert_eq!(url(Carrier::VnPost), "https://vnpost.vn/vi-vn/dinh-vi/buu-pham?key=ABC123");
        for c in Carrier::ALL {
            assert!(url(c).starts_with("https://"), "{c:?}");
            assert_eq!(Carrier::parse(c.name()), Some(c), "{c:?}");
        }
    }

    #[test]
    fn a_tracking_number_that_could_change_the_url_gets_no_link() {
        for bad in ["", "  ", "A B", "x&y=1", "a/b", "<script>", "ABC#1", "mã123", &"9".repeat(65)] {
            assert_eq!(Carrier::Ghn.tracking_url(bad), None, "{bad:?}");
        }
        assert_eq!(Carrier::Ghtk.tracking_url(" S1.2_3-4 ").as_deref(), Some("https://i.ghtk.vn/S1.2_3-4"));
    }

    #[test]
    fn the_admins_free_text_names_a_carrier() {
        for (written, carrier) in [
            ("ghn", Carrier::Ghn),
            ("Giao Hàng Nhanh", Carrier::Ghn),
            ("GHTK", Carrier::Ghtk),
            ("Giao hàng tiết kiệm", Carrier::Ghtk),
            ("Viettel Post", Carrier::ViettelPost),
            ("viettelpost", Carrier::ViettelPost),
            ("J&T Express", Carrier::JtExpress),
            ("J&T", Carrier::JtExpress),
            ("VNPost", Carrier::VnPost),
            ("VN Post", Carrier::VnPost),
            ("Bưu điện", Carrier::VnPost),
        ] {
            assert_eq!(Carrier::parse(written), Some(carrier), "{written}");
        }
        for unknown in ["", "DHL", "Ninja Van", "ghn express delivery"] {
            assert_eq!(Carrier::parse(unknown), None, "{unknown}");
        }
    }

    fn steps(entries: &[Entry]) -> Vec<Step> {
        entries.iter().map(|e| e.step).collect()
    }

    fn ev(at: i64, to: &'static str, reason: &'static str) -> Event<'static> {
        Event { at, to, reason }
    }

    #[test]
    fn a_shipped_order_shows_its_carrier_tracking_number_and_link() {
        let events = [ev(10, "pending_payment", "order placed"), ev(20, "paid", "sandbox"), ev(30, "fulfilled", "GHN GHN123"), ev(40, "delivered", "")];
        let t = timeline(10, &events, Some("GHN"), Some("GHN123"));
        assert_eq!(steps(&t), [Step::Placed, Step::Paid, Step::Shipped, Step::Delivered]);
        assert_eq!(t.iter().map(|e| e.at).collect::<Vec<_>>(), [10, 20, 30, 40]);
        let ship = t[2].shipment.as_ref().unwrap();
        assert_eq!((ship.carrier.as_str(), ship.tracking_number.as_str()), ("GHN", "GHN123"));
        assert_eq!(ship.url.as_deref(), Some("https://donhang.ghn.vn/?order_code=GHN123"));
        assert!(t.iter().filter(|e| e.step != Step::Shipped).all(|e| e.shipment.is_none()));
    }

    #[test]
    fn an_unknown_carrier_is_shown_as_typed_without_a_link() {
        let t = timeline(1, &[ev(2, "paid", ""), ev(3, "fulfilled", "")], Some(" Ninja Van "), Some("NV1"));
        let ship = t[2].shipment.as_ref().unwrap();
        assert_eq!((ship.carrier.as_str(), ship.url.as_deref()), ("Ninja Van", None));
    }

    #[test]
    fn refunds_returns_and_cash_on_delivery_steps_are_shown() {
        let events = [
            ev(1, "pending_payment", "order placed"),
            ev(2, "confirmed", "cash on delivery"),
            ev(3, "packed", ""),
            ev(4, "shipped", ""),
            ev(5, "returned", "refused by the recipient"),
            ev(6, "partially_refunded", "refund of 50000 VND"),
            ev(7, "refunded", "refund of 25000 VND"),
        ];
        let t = timeline(1, &events, None, None);
        assert_eq!(steps(&t), [Step::Placed, Step::Confirmed, Step::Packed, Step::Shipped, Step::Returned, Step::Refunded, Step::Refunded]);
        assert_eq!(t[5].amount, Some(Vnd::new(50_000)));
        assert_eq!(t[6].amount, Some(Vnd::new(25_000)));
        assert_eq!(t[3].shipment, None, "no carrier recorded");
    }

    #[test]
    fn an_unpaid_order_that_ran_out_or_was_cancelled_says_so_and_unknown_moves_are_left_out() {
        let t = timeline(1, &[ev(1, "pending_payment", "order placed"), ev(9, "expired", "not paid in time")], None, None);
        assert_eq!(steps(&t), [Step::Placed, Step::Expired]);
        let t = timeline(1, &[ev(2, "cancelled", ""), ev(3, "some_future_state", ""), ev(4, "needs_refund", "paid after expiry")], None, None);
        assert_eq!(steps(&t), [Step::Placed, Step::Cancelled, Step::RefundDue]);
        // No events at all (an order read before its first event): still placed.
        assert_eq!(steps(&timeline(5, &[], None, None)), [Step::Placed]);
    }
}
