//! `CatalogStore` over D1: each page's reads go out as one batch where they can.

use std::rc::Rc;

use super::d1::D1;
use crate::app::db::Db;
use super::memo;
use crate::app::recs;
use crate::domain::recs::RecKind;
use crate::app::catalog::{self, CardRow, CatalogStore, IdRow, Listing, ProductPage, Scope, SitemapRow, TagRow};
use crate::domain::catalog::{Category, Color, Product, ProductCard, ProductImage, Variant};
use crate::domain::error::AppError;
use crate::domain::listing::ListingQuery;

/// How many cards each of a product page's lists ("you may also like", "bought together") shows.
const RELATED: i64 = 4;

impl CatalogStore for D1 {
    type Error = AppError;

    async fn categories(&self) -> Result<Vec<Category>, AppError> {
        Ok(self.all(&catalog::categories_sql()).await?)
    }

    async fn listing(&self, scope: &Scope, q: &ListingQuery) -> Result<Listing, AppError> {
        Ok(catalog::listing(self, scope, q).await?)
    }

    async fn collections(&self, wanted: &[(&str, i64)]) -> Result<Vec<Vec<ProductCard>>, AppError> {
        let sqls: Vec<_> = wanted.iter().map(|(slug, limit)| catalog::collection_sql(slug, *limit)).collect();
        let results = self.batch(&sqls).await?;
        results.iter().map(|r| Ok(r.decode::<CardRow>()?.into_iter().map(ProductCard::from).collect())).collect()
    }

    async fn product(&self, slug: &str) -> Result<Option<ProductPage>, AppError> {
        let [bundle_offers, bundle_items] = crate::app::bundles::offers_batch(slug);
        let results = self
            .batch(&[
                catalog::product_by_slug_sql(slug),
                catalog::variants_sql(slug),
                catalog::images_sql(slug),
                catalog::tags_sql(slug),
                catalog::related_sql(slug, RELATED),
                catalog::product_collections_sql(slug),
                crate::app::sharing::links_by_slug_sql(slug),
                recs::cards_sql(slug, RecKind::Similar, RELATED),
                recs::cards_sql(slug, RecKind::BoughtTogether, RELATED),
                bundle_offers,
                bundle_items,
            ])
            .await?;
        let [product, variants, images, tags, related, collections, marketplace_links, similar, bought_together, bundles, bundle_rows] = results.as_slice() else {
            return Err(AppError::Internal(format!("product batch returned {} results", results.len()).into()));
        };
        let Some(product) = product.decode::<Product>()?.into_iter().next() else { return Ok(None) };
        // The similar list once a pass has written one; the category's best sellers before.
        let similar: Vec<CardRow> = similar.decode()?;
        let related: Vec<CardRow> = if similar.is_empty() { related.decode()? } else { similar };
        let (tags, tags_en) = tags.decode::<TagRow>()?.into_iter().map(|t| (t.tag, t.name_en)).unzip();
        Ok(Some(ProductPage {
            product,
            variants: variants.decode::<Variant>()?,
            images: images.decode::<ProductImage>()?,
            tags,
            tags_en,
            related: related.into_iter().map(ProductCard::from).collect(),
            bought_together: bought_together.decode::<CardRow>()?.into_iter().map(ProductCard::from).collect(),
            collections: collections.decode::<IdRow>()?.into_iter().map(|r| r.id).collect(),
            marketplace_links: marketplace_links.decode()?,
            bundles: crate::app::bundles::offers_from(bundles.decode()?, &bundle_rows.decode::<crate::app::bundles::OfferRow>()?),
        }))
    }

    async fn sitemap_products(&self) -> Result<Vec<SitemapRow>, AppError> {
        Ok(self.all(&catalog::sitemap_products_sql()).await?)
    }
}

impl D1 {
    /// The category tree and colour palette for a catalog version: from isolate memory, or one D1
    /// batch. Every page needs the first; listings and product pages the second.
    pub async fn catalog_lists(&self, version: &str) -> Result<(Rc<Vec<Category>>, Rc<Vec<Color>>), AppError> {
        if let Some(lists) = memo::lists(version) {
            return Ok(lists);
        }
        let results = self.batch(&[catalog::categories_sql(), catalog::colors_sql()]).await?;
        let [categories, colors] = results.as_slice() else {
            return Err(AppError::Internal(format!("lists batch returned {} results", results.len()).into()));
        };
        Ok(memo::keep_lists(version, categories.decode()?, colors.decode()?))
    }

    /// The footer's contact details (`app::shop_info`), from isolate memory for a version seen before.
    pub async fn shop_info(&self, version: &str) -> Result<Rc<crate::domain::shop_info::ShopInfo>, AppError> {
        if let Some(info) = memo::shop_info(version) {
            return Ok(info);
        }
        Ok(memo::keep_shop_info(version, crate::app::shop_info::info(self).await?))
    }
}
