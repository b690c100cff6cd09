-- Apparel attributes the shopping feeds need (Google Merchant Center `gender` and `age_group`, also
-- read by Meta and TikTok catalogs): who a product is cut for. Existing products are unisex adult
-- wear until an owner says otherwise (seed/demo.sql sets the demo catalog's men's and women's cuts).
ALTER TABLE products ADD COLUMN gender TEXT NOT NULL DEFAULT 'unisex' CHECK (gender IN ('male', 'female', 'unisex'));
ALTER TABLE products ADD COLUMN age_group TEXT NOT NULL DEFAULT 'adult' CHECK (age_group IN ('newborn', 'infant', 'toddler', 'kids', 'adult'));
