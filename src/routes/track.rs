//! Shop events for the analytics funnel, recorded from the request paths without delaying or
//! failing them: the event is buffered per isolate and written after the response
//! (`platform::analytics::record`, `ctx.wait_until`). The visitor is the day's keyed hash of the
//! client address (`cf-connecting-ip`) and user agent; nothing identifying is stored.

use worker::{Context, Env};

use super::Incoming;
use crate::app::analytics::ProductRef;
use crate::domain::analytics::EventKind;
use crate::platform::analytics::{record, visitor_key, Event};
use crate::platform::config::{now, Config};

/// What recording an event needs from the request.
pub(super) struct Tracker<'a> {
    env: &'a Env,
    ctx: &'a Context,
    visitor: String,
    flush_every: Option<usize>,
}

impl<'a> Tracker<'a> {
    pub fn new(env: &'a Env, ctx: &'a Context, incoming: &Incoming) -> Tracker<'a> {
        let config = Config::from_env(env);
        let visitor = visitor_key(config.shop_secret.as_deref().unwrap_or_default(), now(), &incoming.client_ip, &incoming.user_agent);
        let flush_every = config.analytics_flush_events;
        Tracker { env, ctx, visitor, flush_every }
    }

    pub fn record(&self, kind: EventKind, product: ProductRef<'_>, order_id: Option<&str>) {
        if self.visitor.is_empty() {
            return;
        }
        let event = Event { kind, visitor: self.visitor.clone(), product, order_id, amount: None };
        record(self.env, self.ctx, now(), event, self.flush_every);
    }
}
