-- Demo promotions for the local shop, applied by scripts/serve after seed/demo.sql (idempotent).
-- Codes only: an automatic promotion would change every demo price. Create one with
-- POST /internal/promotions (see docs/PROMOTIONS.md).
INSERT INTO promotions (id, name_vi, name_en, automatic, status, rule, priority, combinable, created_at, updated_at)
VALUES (1, 'Giảm 10% cho đơn từ 500.000 ₫', '10% off orders from ₫500,000', 0, 'active',
  '{"benefit":{"type":"percent_off","percent":10},"target":{"type":"order"},"exclusions":{"on_sale":true},"conditions":{"min_subtotal":500000}}',
  0, 1, 0, 0) ON CONFLICT DO NOTHING;
INSERT INTO promotion_codes (code, promotion_id, max_uses, created_at) VALUES ('VESTIFY10', 1, NULL, 0) ON CONFLICT DO NOTHING;
INSERT INTO promotions (id, name_vi, name_en, automatic, status, rule, priority, combinable, created_at, updated_at)
VALUES (2, 'Miễn phí vận chuyển', 'Free shipping', 0, 'active',
  '{"benefit":{"type":"free_shipping"},"target":{"type":"order"}}', 0, 1, 0, 0) ON CONFLICT DO NOTHING;
INSERT INTO promotion_codes (code, promotion_id, max_uses, created_at) VALUES ('FREESHIP', 2, NULL, 0) ON CONFLICT DO NOTHING;
