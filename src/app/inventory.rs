//! Stock changes made by people (the admin panel, a CSV import), each recorded in the stock ledger.
//!
//! Like every other stock change, an adjustment is one conditional UPDATE and the ledger row is
//! written in the same batch only if that UPDATE changed the row (`changes() = 1`). The guard keeps
//! on-hand at or above what carts and unpaid orders hold, optionally insists on the count the person
//! saw (compare-and-set: an import planned against 10 units does not apply to 9), and refuses a
//! request id the ledger already has, so a resubmitted form changes stock once.

use super::sql::{Sql, SqlValue};

/// Why on-hand stock moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Received,
    Damaged,
    Correction,
    Return,
    Import,
}

impl Reason {
    pub const ALL: [Reason; 5] = [Reason::Received, Reason::Damaged, Reason::Correction, Reason::Return, Reason::Import];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Received => "received",
            Reason::Damaged => "damaged",
            Reason::Correction => "correction",
            Reason::Return => "return",
            Reason::Import => "import",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The sign a reason allows: goods received or returned add, damaged removes, the others either.
    pub fn allows(self, delta: i64) -> bool {
        match self {
            Reason::Received | Reason::Return => delta > 0,
            Reason::Damaged => delta < 0,
            Reason::Correction | Reason::Import => delta != 0,
        }
    }
}

/// One adjustment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment<'a> {
    pub variant_id: i64,
    pub delta: i64,
    pub reason: Reason,
    pub note: &'a str,
    /// `admin:<id>` or `import:<file>`.
    pub actor: &'a str,
    /// Unique per submitted form or import row; a repeat is a no-op.
    pub request_id: &'a str,
    /// Apply only if on-hand is still exactly this.
    pub expected_on_hand: Option<i64>,
    pub now: i64,
}

/// The batch for an adjustment. After it runs, [`outcome_sql`] tells applied from refused.
pub fn adjust(a: &Adjustment) -> [Sql; 2] {
    let expected = a.expected_on_hand.map_or(SqlValue::Null, SqlValue::Int);
    [
        Sql::new(
            "UPDATE variants SET on_hand = on_hand + ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE id = ? AND on_hand + ? >= reserved AND on_hand + ? >= 0 AND (? IS NULL OR on_hand = ?) \
             AND NOT EXISTS (SELECT 1 FROM stock_ledger WHERE request_id = ?)",
        )
        .bind(a.delta)
        .bind(a.variant_id)
        .bind(a.delta)
        .bind(a.delta)
        .bind(expected.clone())
        .bind(expected)
        .bind(a.request_id),
        Sql::new(
            "INSERT INTO stock_ledger (variant_id, delta, reason, note, on_hand_after, actor, request_id, created_at) \
             SELECT ?, ?, ?, ?, on_hand, ?, ?, ? FROM variants WHERE id = ? AND changes() = 1",
        )
        .bind(a.variant_id)
        .bind(a.delta)
        .bind(a.reason.as_str())
        .bind(a.note)
        .bind(a.actor)
        .bind(a.request_id)
        .bind(a.now)
        .bind(a.variant_id),
    ]
}

/// After [`adjust`]: the ledger row for the request (if it was applied, now or before) and the
/// variant's counts, to explain a refusal.
pub fn outcome_sql(variant_id: i64, request_id: &str) -> Sql {
    Sql::new(
        "SELECT v.on_hand, v.reserved, (SELECT l.on_hand_after FROM stock_ledger l WHERE l.request_id = ?) AS applied_on_hand \
         FROM variants v WHERE v.id = ?",
    )
    .bind(request_id)
    .bind(variant_id)
}

/// What became of an adjustment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied (now, or by an earlier submission of the same request): on-hand after it.
    Applied { on_hand: i64 },
    /// On-hand would fall below what is reserved (or below zero).
    BelowReserved { on_hand: i64, reserved: i64 },
    /// On-hand is no longer the count the request was made against.
    Stale { on_hand: i64 },
    UnknownVariant,
}

/// Reads the outcome from [`outcome_sql`]'s row.
pub fn outcome(a: &Adjustment, row: Option<(i64, i64, Option<i64>)>) -> Outcome {
    let Some((on_hand, reserved, applied)) = row else { return Outcome::UnknownVariant };
    if let Some(after) = applied {
        return Outcome::Applied { on_hand: after };
    }
    if a.expected_on_hand.is_some_and(|e| e != on_hand) {
        return Outcome::Stale { on_hand };
    }
    Outcome::BelowReserved { on_hand, reserved }
}

/// The newest ledger rows of a variant.
pub fn ledger_sql(variant_id: i64, limit: i64) -> Sql {
    Sql::new(
        "SELECT l.id, l.delta, l.reason, l.note, l.on_hand_after, l.actor, l.created_at, \
         (SELECT COALESCE(NULLIF(a.name, ''), a.email) FROM admin_users a WHERE 'admin:' || a.id = l.actor) AS actor_name \
         FROM stock_ledger l WHERE l.variant_id = ? ORDER BY l.id DESC LIMIT ?",
    )
    .bind(variant_id)
    .bind(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adjustment(delta: i64, expected: Option<i64>) -> Adjustment<'static> {
        Adjustment {
            variant_id: 7,
            delta,
            reason: Reason::Correction,
            note: "",
            actor: "admin:1",
            request_id: "r-1",
            expected_on_hand: expected,
            now: 1,
        }
    }

    #[test]
    fn reasons_round_trip_and_constrain_the_sign() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
        }
        assert!(Reason::Received.allows(5) && !Reason::Received.allows(-5));
        assert!(Reason::Damaged.allows(-1) && !Reason::Damaged.allows(1));
        assert!(Reason::Correction.allows(-3) && !Reason::Correction.allows(0));
    }

    #[test]
    fn the_batch_binds_every_placeholder() {
        for sql in adjust(&adjustment(-2, Some(10))) {
            assert_eq!(sql.placeholder_count(), sql.params.len(), "{}", sql.text);
        }
        assert!(adjust(&adjustment(3, None))[1].text.contains("changes() = 1"));
    }

    #[test]
    fn outcomes() {
        let a = adjustment(-5, Some(10));
        assert_eq!(outcome(&a, Some((10, 0, Some(5)))), Outcome::Applied { on_hand: 5 });
        assert_eq!(outcome(&a, Some((9, 0, None))), Outcome::Stale { on_hand: 9 });
        assert_eq!(outcome(&a, Some((10, 7, None))), Outcome::BelowReserved { on_hand: 10, reserved: 7 });
        assert_eq!(outcome(&a, None), Outcome::UnknownVariant);
    }
}
