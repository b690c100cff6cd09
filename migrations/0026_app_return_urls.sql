-- Where an app's shopper goes back after paying (issue 21): the checkout's return_url and
-- cancel_url, each an allowed app origin's URL or a registered app scheme's (domain::cors).
ALTER TABLE orders ADD COLUMN return_url TEXT;
ALTER TABLE orders ADD COLUMN cancel_url TEXT;
