// VietQR payloads (src/domain/payments/vietqr.rs) against an independent encoder and decoder, the npm
// package vietnam-qr-pay, and their SVG QR codes (src/views/qr.rs) rasterised by Chromium and read by
// jsQR. Payloads and SVGs come from tests/fixtures/vietqr.json, which the host test tests/vietqr.rs
// keeps equal to what our code makes; no shop is started.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { QRPay } from 'vietnam-qr-pay';
import { crc16ccitt } from 'vietnam-qr-pay/dist/crc16.js';

import { openPage, useBrowser } from './support/browser.mjs';
import { decodeSvgQr } from './support/qr.mjs';
import { ROOT } from './support/shop.mjs';

const { cases } = JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'vietqr.json'), 'utf8'));

useBrowser();

describe('VietQR payloads', () => {
  it('has the transfers to compare', () => {
    assert.ok(cases.length >= 8, `${cases.length} cases`);
    assert.ok(cases.some((c) => c.amount === null) && cases.some((c) => c.memo === null));
  });

  it('uses the same CRC-16/CCITT-FALSE as vietnam-qr-pay', () => {
    assert.equal(crc16ccitt('123456789'), 0x29b1);
  });

  for (const c of cases) {
    const name = `${c.bank_bin} ${c.account_no} ${c.amount ?? 'no amount'} ${c.memo ?? 'no memo'}`;

    it(`encodes as vietnam-qr-pay does: ${name}`, () => {
      const theirs = QRPay.initVietQR({
        bankBin: c.bank_bin,
        bankNumber: c.account_no,
        amount: c.amount === null ? undefined : String(c.amount),
        purpose: c.memo ?? undefined,
      }).build();
      assert.equal(c.payload, theirs);
    });

    it(`decodes with vietnam-qr-pay to the transfer: ${name}`, () => {
      const qr = new QRPay(c.payload);
      assert.ok(qr.isValid, 'CRC and field lengths check out');
      assert.equal(qr.provider.name, 'VIETQR');
      assert.equal(qr.provider.service, 'QRIBFTTA');
      assert.equal(qr.consumer.bankBin, c.bank_bin);
      assert.equal(qr.consumer.bankNumber, c.account_no);
      assert.equal(qr.amount, c.amount === null ? undefined : String(c.amount));
      assert.equal(qr.additionalData.purpose, c.memo ?? undefined);
      assert.equal(qr.currency, '704');
      assert.equal(qr.nation, 'VN');
      assert.equal(qr.initMethod, c.amount === null ? '11' : '12');
    });
  }
});

describe('VietQR codes as SVG', () => {
  it('are accessible images with a quiet zone', () => {
    for (const { svg } of cases) {
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* role="img" aria-label="VietQR"/);
      assert.match(svg, /shape-rendering="crispEdges"/);
      // The first dark module is at (4, 4): four light modules of quiet zone on each side.
      assert.match(svg, / d="M4 4h/);
    }
  });

  it('decode, rasterised by Chromium, to their payloads at their own size and at a phone size', async () => {
    const { page, assertClean } = await openPage();
    for (const { svg, payload } of cases) {
      const own = Number(/ width="(\d+)"/.exec(svg)[1]);
      assert.equal(await decodeSvgQr(page, svg, own), payload, `at ${own} px`);
      // 180 px: not a whole number of pixels per module (about 4 for a 45-module side).
      assert.equal(await decodeSvgQr(page, svg, 180), payload, 'at 180 px');
    }
    await assertClean();
  });

  it('would not decode if a module were wrong (the check can fail)', async () => {
    const { page } = await openPage();
    const { svg } = cases[0];
    // Remove the top-left finder pattern's first row: no QR code is found any more.
    const broken = svg.replace(/ d="M4 4h7v1h-7z/, ' d="');
    assert.notEqual(broken, svg);
    assert.equal(await decodeSvgQr(page, broken, 270), null);
  });
});
