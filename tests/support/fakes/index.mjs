// Starts one local fake per payment provider (and the bank feed, and Resend for the shop's email)
// and gives the Worker vars that point a shop at them.
import { startBankFeed } from './bank.mjs';
import { startMomoFake } from './momo.mjs';
import { startPaypalFake } from './paypal.mjs';
import { startResendFake } from './resend.mjs';
import { startStripeFake } from './stripe.mjs';
import { startZalopayFake } from './zalopay.mjs';

export { signStripe } from './stripe.mjs';

export async function startGatewayFakes() {
  const fakes = { stripe: await startStripeFake(), paypal: await startPaypalFake(), momo: await startMomoFake(), zalopay: await startZalopayFake(), resend: await startResendFake() };
  fakes.bank = startBankFeed();
  const { stripe, paypal, momo, zalopay, bank, resend } = fakes;
  fakes.vars = {
    STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    PAYPAL_API_BASE: paypal.url, PAYPAL_CLIENT_ID: paypal.clientId, PAYPAL_CLIENT_SECRET: paypal.clientSecret, PAYPAL_WEBHOOK_ID: paypal.webhookId,
    PAYPAL_VND_PER_USD: '25000',
    MOMO_API_BASE: momo.url, MOMO_PARTNER_CODE: momo.partnerCode, MOMO_ACCESS_KEY: momo.accessKey, MOMO_SECRET_KEY: momo.secretKey,
    ZALOPAY_API_BASE: zalopay.url, ZALOPAY_APP_ID: zalopay.appId, ZALOPAY_KEY1: zalopay.key1, ZALOPAY_KEY2: zalopay.key2,
    ...bank.vars,
    ...resend.vars,
  };
  /** Tells every fake where the shop is (for webhooks that are not addressed per request). */
  fakes.connect = (shopUrl) => { stripe.shopUrl = shopUrl; paypal.shopUrl = shopUrl; bank.shopUrl = shopUrl; };
  fakes.stop = async () => { await Promise.all([stripe.stop(), paypal.stop(), momo.stop(), zalopay.stop(), resend.stop()]); };
  return fakes;
}
