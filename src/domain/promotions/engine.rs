//! The pricing engine: candidates sorted into a canonical order, each checked, computed on what the
//! lines still cost, combined by class, and allocated to lines. See the module doc of `promotions`
//! for the rules it implements.

use std::collections::BTreeSet;

use super::super::money::Vnd;
use super::{Applied, Benefit, Class, EnteredCode, Line, LinePrice, Pricing, PricingInput, Promotion, RejectedCode, Rejection, Share, Target, Usage};

/// A promotion considered for this cart, through a code or by itself.
struct Candidate<'a> {
    promotion: &'a Promotion,
    code: Option<&'a str>,
    code_usage: Usage,
}

/// What one promotion would take: per-line amounts (same order as the lines) or shipping.
enum Effect {
    Lines(Vec<Vnd>),
    Shipping(Vnd),
}

impl Effect {
    fn total(&self) -> Vnd {
        match self {
            Effect::Lines(v) => Vnd::saturating_sum(v.iter().copied()),
            Effect::Shipping(n) => *n,
        }
    }
}

pub fn price(input: &PricingInput) -> Pricing {
    let lines = input.lines;
    let line_subtotals: Vec<Vnd> = lines.iter().map(|l| l.unit_price.max(Vnd::ZERO).saturating_mul(l.quantity.max(0))).collect();
    let subtotal = Vnd::saturating_sum(line_subtotals.iter().copied());
    let quantity = lines.iter().map(|l| l.quantity.max(0)).fold(0i64, i64::saturating_add);
    let shipping = input.shipping.max(Vnd::ZERO);

    let mut remaining = line_subtotals.clone();
    let mut shares: Vec<Vec<Share>> = vec![Vec::new(); lines.len()];
    let mut shipping_left = shipping;
    let mut applied: Vec<Applied> = Vec::new();
    let mut rejected: Vec<RejectedCode> = Vec::new();

    let candidates = candidates(input, &mut rejected);
    let ctx = Ctx { input, subtotal, quantity };
    for c in &candidates {
        let p = c.promotion;
        let class = p.class();
        if let Err(r) = ctx.check(c) {
            if let Some(code) = c.code {
                rejected.push(RejectedCode { code: code.to_string(), rejection: r });
            }
            continue;
        }
        let effect = effect(p, lines, &remaining, shipping_left, subtotal);
        if !effect.total().is_positive() {
            if let Some(code) = c.code {
                let rejection = match effect {
                    Effect::Shipping(_) if !shipping_left.is_positive() => Rejection::ShippingAlreadyFree,
                    _ => Rejection::NoEligibleItems,
                };
                rejected.push(RejectedCode { code: code.to_string(), rejection });
            }
            continue;
        }
        if let Some(blocker) = blocker(c, class, &applied, &candidates) {
            if let Some(code) = c.code {
                rejected.push(RejectedCode {
                    code: code.to_string(),
                    rejection: Rejection::NotCombinable { with_vi: blocker.name_vi.clone(), with_en: blocker.name_en.clone() },
                });
            }
            continue;
        }
        let amount = effect.total();
        let mut touched = Vec::new();
        match effect {
            Effect::Lines(per_line) => {
                for (i, take) in per_line.into_iter().enumerate() {
                    if take.is_positive() {
                        if let (Some(r), Some(s), Some(l)) = (remaining.get_mut(i), shares.get_mut(i), lines.get(i)) {
                            // take <= *r (effects are capped at what each line still costs).
                            *r = r.saturating_sub(take);
                            s.push(Share { promotion_id: p.id, amount: take });
                            touched.push(l.variant_id);
                        }
                    }
                }
            }
            // n <= shipping_left (a shipping effect is capped at what is left of the fee).
            Effect::Shipping(n) => shipping_left = shipping_left.saturating_sub(n),
        }
        applied.push(Applied {
            promotion_id: p.id,
            code: c.code.map(str::to_string),
            name_vi: p.name_vi.clone(),
            name_en: p.name_en.clone(),
            class,
            benefit: p.benefit.clone(),
            amount,
            lines: touched,
        });
    }
    crate::domain::sort::sort_by(&mut rejected, |a, b| a.code.cmp(&b.code));

    let priced: Vec<LinePrice> = lines
        .iter()
        .zip(line_subtotals.iter().zip(remaining.iter()))
        .zip(shares)
        .map(|((l, (sub, left)), shares)| LinePrice { variant_id: l.variant_id, subtotal: *sub, discount: sub.saturating_sub(*left), total: *left, shares })
        .collect();
    let items_discount = Vnd::saturating_sum(priced.iter().map(|l| l.discount));
    let shipping_discount = shipping.saturating_sub(shipping_left);
    let discount = items_discount.saturating_add(shipping_discount);
    Pricing {
        lines: priced,
        subtotal,
        items_discount,
        shipping,
        shipping_discount,
        discount,
        total: subtotal.saturating_add(shipping).saturating_sub(discount).max(Vnd::ZERO),
        applied,
        rejected,
    }
}

/// Automatic promotions plus those of the entered codes, in the canonical order: class, priority
/// (highest first), id, code. Unknown and repeated codes are refused here.
fn candidates<'a>(input: &'a PricingInput, rejected: &mut Vec<RejectedCode>) -> Vec<Candidate<'a>> {
    let mut out: Vec<Candidate<'a>> = input.promotions.iter().filter(|p| p.automatic).map(|p| Candidate { promotion: p, code: None, code_usage: Usage::default() }).collect();
    let mut codes: Vec<&EnteredCode> = input.codes.iter().collect();
    crate::domain::sort::sort_by(&mut codes, |a, b| a.code.cmp(&b.code));
    codes.dedup_by(|a, b| a.code == b.code);
    let mut seen = BTreeSet::new();
    for entered in codes {
        let code = entered.code.as_str();
        let found = entered.found.and_then(|info| input.promotions.iter().find(|p| p.id == info.promotion_id && !p.automatic).map(|p| (p, info)));
        match found {
            None => rejected.push(RejectedCode { code: code.to_string(), rejection: Rejection::UnknownCode }),
            Some((p, _)) if !seen.insert(p.id) => rejected.push(RejectedCode { code: code.to_string(), rejection: Rejection::AlreadyApplied }),
            Some((p, info)) => out.push(Candidate { promotion: p, code: Some(code), code_usage: info.usage }),
        }
    }
    crate::domain::sort::sort_by(&mut out, |a, b| {
        (a.promotion.class(), -a.promotion.priority, a.promotion.id, a.code).cmp(&(b.promotion.class(), -b.promotion.priority, b.promotion.id, b.code))
    });
    out
}

struct Ctx<'a> {
    input: &'a PricingInput<'a>,
    subtotal: Vnd,
    quantity: i64,
}

impl Ctx<'_> {
    /// Everything about the promotion and the buyer that does not depend on other discounts.
    fn check(&self, c: &Candidate) -> Result<(), Rejection> {
        let p = c.promotion;
        let cond = &p.conditions;
        let now = self.input.now;
        let customer = self.input.customer;
        if !p.active {
            return Err(Rejection::Disabled);
        }
        if let Some(at) = cond.starts_at.filter(|at| now < *at) {
            return Err(Rejection::NotStarted { starts_at: at });
        }
        if let Some(at) = cond.ends_at.filter(|at| now >= *at) {
            return Err(Rejection::Expired { ended_at: at });
        }
        if p.usage.exhausted() || c.code_usage.exhausted() {
            return Err(Rejection::UsedUp);
        }
        if let Some(min) = cond.min_subtotal.filter(|m| self.subtotal < *m) {
            return Err(Rejection::MinSubtotal { required: min, missing: min.saturating_sub(self.subtotal) });
        }
        if let Some(min) = cond.min_quantity.filter(|m| self.quantity < *m) {
            return Err(Rejection::MinQuantity { required: min, missing: min - self.quantity });
        }
        match &cond.eligibility {
            super::Eligibility::Anyone => {}
            super::Eligibility::SignedIn if customer.account.is_none() => return Err(Rejection::SignedInOnly),
            super::Eligibility::SignedIn => {}
            super::Eligibility::Customers(keys) => {
                let matches = customer.account.iter().chain(customer.keys.iter()).any(|k| keys.iter().any(|allowed| allowed.eq_ignore_ascii_case(k)));
                if !matches && (customer.known || customer.account.is_some()) {
                    return Err(Rejection::NotForYou);
                }
            }
        }
        if customer.known {
            if cond.first_order_only && customer.prior_orders > 0 {
                return Err(Rejection::FirstOrderOnly);
            }
            let used = customer.uses.iter().filter(|(id, _)| *id == p.id).map(|(_, n)| *n).sum::<i64>();
            if p.per_customer_limit.is_some_and(|limit| used >= limit) {
                return Err(Rejection::CustomerLimit);
            }
        }
        Ok(())
    }
}

/// The promotion already taken that keeps this one out, if any.
fn blocker<'a>(c: &Candidate, class: Class, applied: &'a [Applied], candidates: &[Candidate]) -> Option<&'a Applied> {
    let combinable = |id: i64| candidates.iter().find(|x| x.promotion.id == id).is_some_and(|x| x.promotion.combinable);
    let same_class = applied.iter().filter(|a| a.class == class);
    if let Some(first) = same_class.clone().next() {
        if !c.promotion.combinable || same_class.clone().any(|a| !combinable(a.promotion_id)) {
            return Some(first);
        }
    }
    // One code per order unless combinable: a second code needs both to be combinable.
    if c.code.is_some() {
        if let Some(other) = applied.iter().find(|a| a.code.is_some() && (!c.promotion.combinable || !combinable(a.promotion_id))) {
            return Some(other);
        }
    }
    None
}

fn matches(p: &Promotion, l: &Line) -> bool {
    let ex = &p.exclusions;
    if ex.products.contains(&l.product_id) || ex.variants.contains(&l.variant_id) || (ex.on_sale && l.on_sale) {
        return false;
    }
    match &p.target {
        Target::Order => true,
        Target::Categories(ids) => l.categories.iter().any(|c| ids.contains(c)),
        Target::Collections(ids) => l.collections.iter().any(|c| ids.contains(c)),
        Target::Products(ids) => ids.contains(&l.product_id),
        Target::Variants(ids) => ids.contains(&l.variant_id),
    }
}

fn percent_of(amount: Vnd, percent: u8) -> Vnd {
    // Exact in i128, rounded down to the minor unit.
    Vnd::new(i64::try_from(i128::from(amount.minor().max(0)) * i128::from(percent.min(100)) / 100).unwrap_or(0))
}

fn effect(p: &Promotion, lines: &[Line], remaining: &[Vnd], shipping_left: Vnd, subtotal: Vnd) -> Effect {
    let matched: Vec<bool> = lines.iter().map(|l| matches(p, l)).collect();
    let pool_weights: Vec<Vnd> = remaining.iter().zip(&matched).map(|(r, m)| if *m { *r } else { Vnd::ZERO }).collect();
    let pool = Vnd::saturating_sum(pool_weights.iter().copied());
    let capped = |proposal: Vec<Vnd>| Effect::Lines(proposal.iter().zip(remaining).map(|(p, r)| (*p).clamp(Vnd::ZERO, *r)).collect());
    match &p.benefit {
        Benefit::PercentOff { percent } => Effect::Lines(allocate(percent_of(pool, *percent), &pool_weights)),
        Benefit::AmountOff { amount } => Effect::Lines(allocate((*amount).clamp(Vnd::ZERO, pool), &pool_weights)),
        Benefit::TieredSpend { tiers } => {
            let basis = Vnd::saturating_sum(lines.iter().zip(&matched).filter(|(_, m)| **m).map(|(l, _)| l.unit_price.saturating_mul(l.quantity)));
            let best = tiers.iter().filter(|t| basis >= t.min_subtotal).max_by_key(|t| (t.min_subtotal, t.amount)).map_or(Vnd::ZERO, |t| t.amount);
            Effect::Lines(allocate(best.clamp(Vnd::ZERO, pool), &pool_weights))
        }
        Benefit::FreeShipping { max_discount } => {
            let any = matched.iter().any(|m| *m);
            let amount = if any { max_discount.map_or(shipping_left, |m| m.min(shipping_left)) } else { Vnd::ZERO };
            Effect::Shipping(amount.max(Vnd::ZERO))
        }
        Benefit::BuyXGetY { buy, get, percent } => {
            let group = i64::from(*buy) + i64::from(*get);
            // Every unit, dearest first (ties by line order), so the discounted ones are the cheapest.
            let mut units: Vec<(Vnd, usize)> = Vec::new();
            for (i, l) in lines.iter().enumerate().filter(|(i, _)| matched.get(*i).copied().unwrap_or(false)) {
                for _ in 0..l.quantity.clamp(0, 1_000) {
                    units.push((l.unit_price, i));
                }
            }
            crate::domain::sort::sort_by(&mut units, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let free = usize::try_from((units.len() as i64 / group.max(1)) * i64::from(*get)).unwrap_or(0);
            let mut proposal = vec![Vnd::ZERO; lines.len()];
            for (price, i) in units.iter().rev().take(free) {
                if let Some(slot) = proposal.get_mut(*i) {
                    *slot = slot.saturating_add(percent_of(*price, *percent));
                }
            }
            capped(proposal)
        }
        Benefit::BundlePrice { products, .. } | Benefit::BundlePercent { products, .. } => {
            let mut wanted: Vec<i64> = products.clone();
            wanted.sort_unstable();
            wanted.dedup();
            let ex = &p.exclusions;
            let usable = |l: &Line| !(ex.products.contains(&l.product_id) || ex.variants.contains(&l.variant_id) || (ex.on_sale && l.on_sale));
            // Units of each bundled product, cheapest first.
            let per_product: Vec<Vec<(Vnd, usize)>> = wanted
                .iter()
                .map(|pid| {
                    let mut units: Vec<(Vnd, usize)> = Vec::new();
                    for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.product_id == *pid && usable(l)) {
                        for _ in 0..l.quantity.clamp(0, 1_000) {
                            units.push((l.unit_price, i));
                        }
                    }
                    crate::domain::sort::sort_by(&mut units, |a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
                    units
                })
                .collect();
            let bundles = per_product.iter().map(Vec::len).min().unwrap_or(0);
            let mut proposal = vec![Vnd::ZERO; lines.len()];
            for k in 0..bundles {
                let units: Vec<(Vnd, usize)> = per_product.iter().filter_map(|u| u.get(k).copied()).collect();
                let value = Vnd::saturating_sum(units.iter().map(|u| u.0));
                let off = match &p.benefit {
                    Benefit::BundlePercent { percent, .. } => percent_of(value, *percent),
                    Benefit::BundlePrice { price, .. } => value.saturating_sub(*price).max(Vnd::ZERO),
                    _ => Vnd::ZERO,
                };
                let weights: Vec<Vnd> = units.iter().map(|u| u.0).collect();
                for ((_, i), share) in units.iter().zip(allocate(off, &weights)) {
                    if let Some(slot) = proposal.get_mut(*i) {
                        *slot = slot.saturating_add(share);
                    }
                }
            }
            capped(proposal)
        }
        Benefit::Gift { variant_id, min_subtotal } => {
            let mut proposal = vec![Vnd::ZERO; lines.len()];
            let gift_line = lines.iter().position(|l| l.variant_id == *variant_id && l.quantity > 0);
            // The gift is named by the benefit, so only the exclusions (not the target) apply to it.
            let excluded = |l: &Line| p.exclusions.variants.contains(&l.variant_id) || p.exclusions.products.contains(&l.product_id);
            if let Some(i) = gift_line.filter(|i| lines.get(*i).is_some_and(|l| !excluded(l))) {
                let gift_subtotal = lines.get(i).map_or(Vnd::ZERO, |l| l.unit_price.saturating_mul(l.quantity));
                if subtotal.saturating_sub(gift_subtotal) >= *min_subtotal {
                    if let (Some(slot), Some(l)) = (proposal.get_mut(i), lines.get(i)) {
                        *slot = l.unit_price;
                    }
                }
            }
            capped(proposal)
        }
    }
}

/// Splits `amount` across lines in proportion to `weights` by the largest-remainder method; ties
/// go to the earlier line. With `amount <= sum(weights)` no share exceeds its weight.
pub fn allocate(amount: Vnd, weights: &[Vnd]) -> Vec<Vnd> {
    let total: i128 = weights.iter().map(|w| i128::from(w.minor().max(0))).sum();
    if !amount.is_positive() || total <= 0 {
        return vec![Vnd::ZERO; weights.len()];
    }
    // Exact in i128: amount × weight cannot overflow it.
    let amount = i128::from(amount.minor());
    let mut shares: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = amount * i128::from(w.minor().max(0));
        shares.push(exact / total);
        remainders.push((exact % total, i));
    }
    let mut left = amount - shares.iter().sum::<i128>();
    crate::domain::sort::sort_by(&mut remainders, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (rem, i) in remainders {
        if left <= 0 {
            break;
        }
        if rem > 0 {
            if let Some(s) = shares.get_mut(i) {
                *s += 1;
                left -= 1;
            }
        }
    }
    shares.into_iter().map(|s| Vnd::new(i64::try_from(s).unwrap_or(0))).collect()
}
