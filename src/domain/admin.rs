//! Admin roles and the permission matrix (written out in `docs/SECURITY.md`), and the table that
//! says which permission each admin route needs. The router consults the table before any admin
//! handler runs, so a route cannot be reached without its permission, whatever the menus show.

/// An admin's role. Each role has everything the one below it has, and more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Owner,
    Manager,
    Staff,
    Support,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Staff, Role::Support];

    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
            Role::Support => "support",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    /// The role's name as every admin page shows it.
    pub fn name(self, locale: crate::domain::locale::Locale) -> &'static str {
        use crate::domain::locale::Locale::{En, Vi};
        match (self, locale) {
            (Role::Owner, Vi) => "Chủ cửa hàng",
            (Role::Manager, Vi) => "Quản lý",
            (Role::Staff, Vi) => "Nhân viên",
            (Role::Support, Vi) => "Hỗ trợ",
            (Role::Owner, En) => "Owner",
            (Role::Manager, En) => "Manager",
            (Role::Staff, En) => "Staff",
            (Role::Support, En) => "Support",
        }
    }

    /// The name of a role stored as its code (the code itself if unknown).
    pub fn name_of(code: &str, locale: crate::domain::locale::Locale) -> &str {
        Role::parse(code).map_or(code, |r| r.name(locale))
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ViewDashboard | ViewOrders | ViewCustomers | ViewProducts | ModerateReviews => true,
            EditProducts | EditStock => matches!(self, Role::Owner | Role::Manager | Role::Staff),
            EditPrices | ManageDiscounts | IssueRefunds | ViewReports | ManageNotifications => matches!(self, Role::Owner | Role::Manager),
            ManageAdmins | ManageSettings | ViewAuditLog => self == Role::Owner,
        }
    }
}

/// What an admin may do. Routes name the one they need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    ViewDashboard,
    ViewOrders,
    ViewCustomers,
    ViewProducts,
    EditProducts,
    EditStock,
    EditPrices,
    ManageDiscounts,
    IssueRefunds,
    ViewReports,
    /// The notifications log, its dead letters and "resend", the template previews (issue 14).
    ManageNotifications,
    ManageAdmins,
    ManageSettings,
    ViewAuditLog,
    /// The review moderation queue: approve, reject, hide, reply (support staff and up).
    ModerateReviews,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::ViewDashboard,
        Permission::ViewOrders,
        Permission::ViewCustomers,
        Permission::ViewProducts,
        Permission::EditProducts,
        Permission::EditStock,
        Permission::EditPrices,
        Permission::ManageDiscounts,
        Permission::IssueRefunds,
        Permission::ViewReports,
        Permission::ManageNotifications,
        Permission::ManageAdmins,
        Permission::ManageSettings,
        Permission::ViewAuditLog,
        Permission::ModerateReviews,
    ];
}

/// The admin routes behind a sign-in, as `(method, path pattern, permission)`; `{id}` matches one
/// segment. Sign-in and sign-out are the only admin paths not listed (they need no session).
pub const ROUTES: &[(&str, &str, Permission)] = &[
    ("GET", "/admin", Permission::ViewDashboard),
    ("GET", "/admin/customers", Permission::ViewCustomers),
    ("GET", "/admin/audit", Permission::ViewAuditLog),
    ("GET", "/admin/users", Permission::ManageAdmins),
    ("POST", "/admin/users", Permission::ManageAdmins),
    ("POST", "/admin/users/{id}/role", Permission::ManageAdmins),
    ("POST", "/admin/users/{id}/disable", Permission::ManageAdmins),
    // API keys for server-to-server use (issue 21; owners only, audited).
    ("GET", "/admin/api-keys", Permission::ManageSettings),
    ("POST", "/admin/api-keys", Permission::ManageSettings),
    ("POST", "/admin/api-keys/{id}/revoke", Permission::ManageSettings),
    // Shipping rates by zone and weight (issue 19): managers and owners, audited.
    ("GET", "/admin/shipping", Permission::EditPrices),
    ("POST", "/admin/shipping", Permission::EditPrices),
    ("POST", "/admin/shipping/{id}", Permission::EditPrices),
    ("POST", "/admin/shipping/{id}/delete", Permission::EditPrices),
    // Search synonyms (issue 20): managers and owners, audited.
    ("GET", "/admin/search-words", Permission::EditPrices),
    ("POST", "/admin/search-words", Permission::EditPrices),
    ("POST", "/admin/search-words/{id}", Permission::EditPrices),
    ("POST", "/admin/search-words/{id}/delete", Permission::EditPrices),
    // Tags' English names (issue 20): managers and owners, audited.
    ("GET", "/admin/tags", Permission::EditPrices),
    ("POST", "/admin/tags", Permission::EditPrices),
    // The footer's contact details and the policy pages (issue 20): managers and owners, audited.
    ("GET", "/admin/shop-info", Permission::EditPrices),
    ("POST", "/admin/shop-info", Permission::EditPrices),
    ("POST", "/admin/shop-info/{id}", Permission::EditPrices),
    // Promotions (issue #7): managers and owners.
    ("GET", "/admin/promotions", Permission::ManageDiscounts),
    ("POST", "/admin/promotions", Permission::ManageDiscounts),
    ("POST", "/admin/promotions/{id}/enable", Permission::ManageDiscounts),
    ("POST", "/admin/promotions/{id}/disable", Permission::ManageDiscounts),
    ("POST", "/admin/promotions/{id}/codes", Permission::ManageDiscounts),
    ("GET", "/admin/promotions/{id}/codes.csv", Permission::ManageDiscounts),
    ("GET", "/admin/promotions/{id}/edit", Permission::ManageDiscounts),
    ("POST", "/admin/promotions/{id}", Permission::ManageDiscounts),
    // Recommendation lists recomputed now (issue 15): managers and owners, audited.
    ("POST", "/admin/recommendations", Permission::EditPrices),
    // Catalog and stock (routes::admin_catalog).
    ("GET", "/admin/products", Permission::ViewProducts),
    ("GET", "/admin/products.csv", Permission::ViewProducts),
    ("POST", "/admin/products/bulk", Permission::EditProducts),
    ("GET", "/admin/products/new", Permission::EditProducts),
    ("POST", "/admin/products/new", Permission::EditProducts),
    ("GET", "/admin/products/{id}", Permission::ViewProducts),
    ("POST", "/admin/products/{id}", Permission::EditProducts),
    // Staff may give a product that has never been on sale its variants (and their first prices);
    // adding to a product that is or was on sale, or changing a price, needs EditPrices (checked
    // in the variant insert itself: `app::admin_product::add_variant`).
    ("POST", "/admin/products/{id}/variants", Permission::EditProducts),
    ("POST", "/admin/products/{id}/marketplaces", Permission::EditProducts),
    ("POST", "/admin/products/{id}/variants/{id}/price", Permission::EditPrices),
    ("POST", "/admin/products/{id}/variants/{id}/remove", Permission::EditProducts),
    ("GET", "/admin/stock", Permission::ViewProducts),
    ("GET", "/admin/stock/{id}", Permission::ViewProducts),
    ("POST", "/admin/stock/{id}/adjust", Permission::EditStock),
    ("POST", "/admin/stock/{id}/threshold", Permission::EditStock),
    // Orders, invoices and the sales dashboard (issue #6; `routes::admin_orders`). `/admin` itself
    // shows the dashboard to roles with `ViewReports` and the landing page to the others.
    ("GET", "/admin/dashboard.csv", Permission::ViewReports),
    ("GET", "/admin/orders", Permission::ViewOrders),
    // Cash on delivery (issue 19): the carrier's statement (before `{id}`, which would match it),
    // marking cash collected from the list, confirming a returned parcel.
    ("GET", "/admin/orders/cod-statement", Permission::IssueRefunds),
    ("POST", "/admin/orders/cod-statement", Permission::IssueRefunds),
    ("POST", "/admin/orders/collect", Permission::IssueRefunds),
    ("GET", "/admin/orders/{id}", Permission::ViewOrders),
    ("GET", "/admin/orders/{id}/invoice", Permission::ViewOrders),
    ("GET", "/admin/orders/{id}/invoice.pdf", Permission::ViewOrders),
    ("POST", "/admin/orders/{id}/fulfil", Permission::EditStock),
    ("POST", "/admin/orders/{id}/deliver", Permission::EditStock),
    ("POST", "/admin/orders/{id}/cancel", Permission::EditStock),
    ("POST", "/admin/orders/{id}/refund", Permission::IssueRefunds),
    ("GET", "/admin/bank-transfers", Permission::ViewOrders),
    ("POST", "/admin/bank-transfers/mark-paid", Permission::IssueRefunds),
    ("POST", "/admin/bank-transfers/{id}/match", Permission::IssueRefunds),
    ("POST", "/admin/orders/{id}/collect", Permission::IssueRefunds),
    ("POST", "/admin/orders/{id}/return", Permission::EditStock),
    // Notifications (issue 14; `routes::admin_notifications`): the log, the template previews, resend.
    ("GET", "/admin/notifications", Permission::ManageNotifications),
    ("GET", "/admin/notifications/preview", Permission::ManageNotifications),
    ("POST", "/admin/notifications/{id}/resend", Permission::ManageNotifications),
    // Webhooks for apps (issue 21, `routes::admin_webhooks`): managers and owners, every write audited.
    ("GET", "/admin/webhooks", Permission::ManageNotifications),
    ("POST", "/admin/webhooks", Permission::ManageNotifications),
    ("GET", "/admin/webhooks/{id}", Permission::ManageNotifications),
    ("POST", "/admin/webhooks/{id}/test", Permission::ManageNotifications),
    ("POST", "/admin/webhooks/{id}/disable", Permission::ManageNotifications),
    ("POST", "/admin/webhooks/{id}/enable", Permission::ManageNotifications),
    ("POST", "/admin/webhooks/{id}/delete", Permission::ManageNotifications),
    // Campaigns (issue 14; `routes::admin_campaigns`): compose, preview, schedule, cancel.
    ("GET", "/admin/campaigns", Permission::ManageNotifications),
    ("POST", "/admin/campaigns", Permission::ManageNotifications),
    ("GET", "/admin/campaigns/{id}", Permission::ManageNotifications),
    ("POST", "/admin/campaigns/{id}", Permission::ManageNotifications),
    ("GET", "/admin/campaigns/{id}/preview", Permission::ManageNotifications),
    ("POST", "/admin/campaigns/{id}/schedule", Permission::ManageNotifications),
    ("POST", "/admin/campaigns/{id}/cancel", Permission::ManageNotifications),
    // Catalog, second part: CSV import with dry run, product images, categories and collections
    // (`routes::admin_import`, `admin_media`, `admin_taxonomy`).
    ("POST", "/admin/import", Permission::EditProducts),
    ("POST", "/admin/import/confirm", Permission::EditProducts),
    ("POST", "/admin/products/{id}/images", Permission::EditProducts),
    ("POST", "/admin/products/{id}/images/{id}", Permission::EditProducts),
    ("POST", "/admin/products/{id}/images/{id}/move", Permission::EditProducts),
    ("POST", "/admin/products/{id}/images/{id}/delete", Permission::EditProducts),
    ("POST", "/admin/products/{id}/images/{id}/sizes", Permission::EditProducts),
    ("GET", "/admin/categories", Permission::ViewProducts),
    ("POST", "/admin/categories", Permission::EditProducts),
    ("GET", "/admin/categories/{id}", Permission::ViewProducts),
    ("POST", "/admin/categories/{id}", Permission::EditProducts),
    ("POST", "/admin/categories/{id}/move", Permission::EditProducts),
    ("GET", "/admin/collections", Permission::ViewProducts),
    ("POST", "/admin/collections", Permission::EditProducts),
    ("GET", "/admin/collections/{id}", Permission::ViewProducts),
    ("POST", "/admin/collections/{id}", Permission::EditProducts),
    ("POST", "/admin/collections/{id}/move", Permission::EditProducts),
    ("POST", "/admin/collections/{id}/products", Permission::EditProducts),
    ("POST", "/admin/collections/{id}/products/{id}/move", Permission::EditProducts),
    ("POST", "/admin/collections/{id}/products/{id}/remove", Permission::EditProducts),
    // Reviews (issue 22, `routes::admin_reviews`): the moderation queue, every decision audited.
    ("GET", "/admin/reviews", Permission::ModerateReviews),
    ("POST", "/admin/reviews/{id}/{id}", Permission::ModerateReviews),
    // Bundles (issue 15, `routes::admin_bundles`): managers and owners, every write audited.
    ("GET", "/admin/bundles", Permission::ManageDiscounts),
    ("POST", "/admin/bundles", Permission::ManageDiscounts),
    ("GET", "/admin/bundles/{id}", Permission::ManageDiscounts),
    ("POST", "/admin/bundles/{id}", Permission::ManageDiscounts),
    ("POST", "/admin/bundles/{id}/delete", Permission::ManageDiscounts),
    // Questions and answers (approve, reject with a reason, the shop's answer) and review sentiment
    // per month and aspect, beside the review queue.
    ("GET", "/admin/reviews/questions", Permission::ModerateReviews),
    ("POST", "/admin/reviews/questions/{id}/{id}", Permission::ModerateReviews),
    ("POST", "/admin/reviews/answers/{id}/{id}", Permission::ModerateReviews),
    ("GET", "/admin/reviews/sentiment", Permission::ModerateReviews),
];

/// The permission a request needs, or `None` when no such admin route exists (a 404).
pub fn required(method: &str, path: &str) -> Option<Permission> {
    ROUTES.iter().find(|(m, pattern, _)| *m == method && matches_pattern(pattern, path)).map(|(_, _, p)| *p)
}

/// The table's pattern for a request (`/admin/orders/{id}`), which names the route in the log.
pub fn route_pattern(method: &str, path: &str) -> Option<&'static str> {
    ROUTES.iter().find(|(m, pattern, _)| *m == method && matches_pattern(pattern, path)).map(|(_, pattern, _)| *pattern)
}

fn matches_pattern(pattern: &str, path: &str) -> bool {
    let (mut a, mut b) = (pattern.split('/'), path.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some("{id}"), Some(seg)) if !seg.is_empty() => {}
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn the_matrix_is_as_documented() {
        // (permission, owner, manager, staff, support) — the table in docs/SECURITY.md.
        let table = [
            (ViewDashboard, true, true, true, true),
            (ViewOrders, true, true, true, true),
            (ViewCustomers, true, true, true, true),
            (ViewProducts, true, true, true, true),
            (EditProducts, true, true, true, false),
            (EditStock, true, true, true, false),
            (EditPrices, true, true, false, false),
            (ManageDiscounts, true, true, false, false),
            (IssueRefunds, true, true, false, false),
            (ViewReports, true, true, false, false),
            (ManageNotifications, true, true, false, false),
            (ManageAdmins, true, false, false, false),
            (ManageSettings, true, false, false, false),
            (ViewAuditLog, true, false, false, false),
            (ModerateReviews, true, true, true, true),
        ];
        assert_eq!(table.len(), Permission::ALL.len());
        for (p, owner, manager, staff, support) in table {
            assert_eq!([Role::Owner, Role::Manager, Role::Staff, Role::Support].map(|r| r.can(p)), [owner, manager, staff, support], "{p:?}");
        }
    }

    #[test]
    fn each_role_has_everything_the_one_below_has() {
        for p in Permission::ALL {
            assert!(!Role::Support.can(p) || Role::Staff.can(p));
            assert!(!Role::Staff.can(p) || Role::Manager.can(p));
            assert!(!Role::Manager.can(p) || Role::Owner.can(p));
        }
    }

    #[test]
    fn routes_resolve_to_their_permission_and_unknown_ones_to_none() {
        assert_eq!(required("GET", "/admin"), Some(ViewDashboard));
        assert_eq!(required("GET", "/admin/audit"), Some(ViewAuditLog));
        assert_eq!(required("POST", "/admin/users/abc/role"), Some(ManageAdmins));
        assert_eq!(required("POST", "/admin/users//role"), None);
        assert_eq!(required("DELETE", "/admin/users"), None);
        assert_eq!(required("GET", "/admin/nope"), None);
        assert_eq!(required("GET", "/admin/users/abc/role/x"), None);
        assert_eq!(required("GET", "/admin/orders/abc/invoice.pdf"), Some(ViewOrders));
        assert_eq!(required("POST", "/admin/notifications/12/resend"), Some(ManageNotifications));
        assert_eq!(required("POST", "/admin/orders/abc/refund"), Some(IssueRefunds));
        assert_eq!(required("POST", "/admin/orders/abc/fulfil"), Some(EditStock));
        assert_eq!(required("GET", "/admin/dashboard.csv"), Some(ViewReports));
        assert_eq!(required("POST", "/admin/orders/abc/explode"), None);
        assert_eq!(required("GET", "/admin/reviews"), Some(ModerateReviews));
        assert_eq!(required("POST", "/admin/reviews/abc/approve"), Some(ModerateReviews));
        assert_eq!(required("GET", "/admin/reviews/questions"), Some(ModerateReviews));
        assert_eq!(required("POST", "/admin/reviews/questions/abc/answer"), Some(ModerateReviews));
        assert_eq!(required("POST", "/admin/reviews/answers/abc/reject"), Some(ModerateReviews));
        assert_eq!(required("GET", "/admin/reviews/sentiment"), Some(ModerateReviews));
    }

    #[test]
    fn roles_round_trip_through_their_codes() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
