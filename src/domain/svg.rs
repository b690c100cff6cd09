//! Uploaded SVG made safe by construction: the text is parsed as XML (roxmltree: namespaces
//! resolved, character references decoded, no DOCTYPE and so no entities), anything active is
//! refused with its name, and the stored file is written anew from the parse with only the
//! allow-listed elements and attributes (by namespace and local name) and only references inside
//! the document. What is stored is therefore exactly what was checked: no prefix, entity or
//! whitespace spelling of a name or a URL can reach the browser unseen. The `/media` responses'
//! sandboxing CSP stays as the second wall (`domain::media::CSP`).

use roxmltree::{Document, Node, NodeType, ParsingOptions};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Enough for any product drawing; bounds the parse's memory on a hostile file.
const MAX_NODES: u32 = 200_000;

/// Why an SVG was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not well-formed XML, a DOCTYPE (entities), or a root that is not `<svg>` in the SVG namespace.
    Invalid(&'static str),
    /// Content that could run script or fetch something: named for the person who uploaded it.
    Active(&'static str),
}

/// A sanitised SVG: the bytes to store and the size its root element declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clean {
    pub bytes: Vec<u8>,
    pub size: Option<(i64, i64)>,
}

/// Elements (in the SVG namespace) that are kept: shapes, text, paint servers, clipping, masking,
/// markers, filters without outside input, `<style>` (its CSS checked), `<image>` (inline raster
/// only) and `<a>` (links inside the document only). Any other element is dropped with its content.
const ELEMENTS: &[&str] = &[
    "svg", "g", "defs", "symbol", "use", "title", "desc", "switch", "a", "style", "image",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
    "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA",
    "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology",
    "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
];

/// Elements refused outright, in any namespace and any letter case: they run script, animate
/// attributes (an `href` can be animated into a `javascript:` URL), or embed other documents.
const ACTIVE_ELEMENTS: &[&str] = &[
    "script", "foreignobject", "iframe", "frame", "frameset", "embed", "object", "applet", "handler",
    "listener", "set", "animate", "animatemotion", "animatetransform", "animatecolor", "discard",
    "base", "meta", "link", "audio", "video", "portal", "feimage",
];

/// Attributes without a namespace that are kept (on any kept element): geometry, paint and text
/// properties, gradient/pattern/filter parameters, accessibility. Anything else (editor
/// attributes such as `inkscape:label`, unknown names) is dropped; `on…` is refused.
const ATTRIBUTES: &[&str] = &[
    "id", "class", "style", "lang", "role", "version", "viewBox", "preserveAspectRatio", "width", "height",
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points",
    "pathLength", "transform", "href",
    "offset", "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits",
    "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits", "markerUnits", "markerWidth",
    "markerHeight", "refX", "refY", "orient",
    "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "dx", "dy", "mode", "operator",
    "k1", "k2", "k3", "k4", "type", "values", "tableValues", "slope", "intercept", "amplitude", "exponent",
    "baseFrequency", "numOctaves", "seed", "stitchTiles", "scale", "xChannelSelector", "yChannelSelector",
    "radius", "order", "kernelMatrix", "divisor", "bias", "targetX", "targetY", "edgeMode", "preserveAlpha",
    "kernelUnitLength", "surfaceScale", "diffuseConstant", "specularConstant", "specularExponent",
    "azimuth", "elevation", "z", "pointsAtX", "pointsAtY", "pointsAtZ", "limitingConeAngle",
    "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing", "side", "media",
    "systemLanguage",
    // Presentation attributes (CSS properties; their values are checked like CSS).
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "color",
    "display", "visibility", "overflow", "clip", "clip-path", "clip-rule", "mask", "filter",
    "marker-start", "marker-mid", "marker-end", "stop-color", "stop-opacity", "flood-color",
    "flood-opacity", "lighting-color", "shape-rendering", "text-rendering", "image-rendering",
    "color-interpolation", "color-interpolation-filters", "paint-order", "vector-effect",
    "mix-blend-mode", "isolation", "transform-origin", "transform-box",
    "font", "font-family", "font-size", "font-style", "font-weight", "font-variant", "font-stretch",
    "font-size-adjust", "letter-spacing", "word-spacing", "text-anchor", "text-decoration",
    "dominant-baseline", "alignment-baseline", "baseline-shift", "writing-mode", "direction",
    "unicode-bidi", "white-space",
];

/// Attributes whose value is free text, a list of numbers or a reference (checked on its own),
/// never read as CSS.
const PLAIN_ATTRIBUTES: &[&str] = &[
    "href", "id", "class", "lang", "role", "version", "viewBox", "preserveAspectRatio", "d", "points", "values",
    "tableValues", "kernelMatrix", "systemLanguage", "in", "in2", "result", "type", "media",
];

/// CSS functions that can appear in the kept CSS: colours, arithmetic, transforms, filter effects
/// and a few selectors. `url()` is allowed only with a `#fragment`; anything that can load
/// (`image-set()`, `image()`, `src()`, `@import`, `@font-face`) is refused.
const CSS_FUNCTIONS: &[&str] = &[
    "url", "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color", "color-mix",
    "calc", "min", "max", "clamp", "var", "matrix", "translate", "translatex", "translatey", "scale",
    "scalex", "scaley", "rotate", "skewx", "skewy", "blur", "brightness", "contrast", "drop-shadow",
    "grayscale", "hue-rotate", "invert", "opacity", "saturate", "sepia", "not", "is", "where",
    "nth-child", "nth-of-type", "nth-last-child", "nth-last-of-type", "lang",
];

/// Parses, checks and re-serialises an uploaded SVG.
pub fn sanitize(text: &str) -> Result<Clean, Refusal> {
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Refusal::Invalid("DOCTYPE"),
        roxmltree::Error::NodesLimitReached => Refusal::Invalid("too many elements"),
        _ => Refusal::Invalid("not well-formed XML"),
    })?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(SVG_NS) || root.tag_name().name() != "svg" {
        return Err(Refusal::Invalid("root is not <svg> in the SVG namespace"));
    }
    // Refusals first, over every node wherever it sits (a dropped element's content too).
    for node in doc.descendants() {
        match node.node_type() {
            NodeType::Element => check_element(node)?,
            NodeType::PI if node.pi().is_some_and(|pi| pi.target.eq_ignore_ascii_case("xml-stylesheet")) => {
                return Err(Refusal::Active("stylesheet"));
            }
            _ => {}
        }
    }
    Ok(Clean { bytes: write(root).into_bytes(), size: size(root) })
}

fn check_element(node: Node<'_, '_>) -> Result<(), Refusal> {
    let name = node.tag_name().name().to_ascii_lowercase();
    if let Some(what) = ACTIVE_ELEMENTS.iter().find(|a| **a == name) {
        return Err(Refusal::Active(what));
    }
    if node.tag_name().namespace() == Some("http://www.w3.org/1999/xhtml") {
        return Err(Refusal::Active("HTML element"));
    }
    for attr in node.attributes() {
        let local = attr.name().to_ascii_lowercase();
        if local.starts_with("on") {
            return Err(Refusal::Active("event handler"));
        }
        let kept_ns = matches!(attr.namespace(), None | Some(XLINK_NS));
        if kept_ns && local == "href" && !local_reference(node, attr.value()) {
            return Err(Refusal::Active("outside reference"));
        }
        if attr.namespace().is_none() && !PLAIN_ATTRIBUTES.contains(&attr.name()) && ATTRIBUTES.contains(&attr.name()) {
            css_is_local(attr.value())?;
        }
    }
    if node.tag_name().namespace() == Some(SVG_NS) && node.tag_name().name() == "style" {
        let css: String = node.children().filter_map(|c| c.text()).collect();
        css_is_local(&css)?;
    }
    Ok(())
}

/// An `href` must point inside the document (`#id`); an `<image>` may also carry inline raster data.
fn local_reference(node: Node<'_, '_>, value: &str) -> bool {
    let v = value.trim();
    if v.starts_with('#') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let raster = ["data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,", "data:image/webp;base64,"];
    node.tag_name().name() == "image"
        && raster.iter().find_map(|p| lower.strip_prefix(p)).is_some_and(|data| {
            data.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b' ' | b'\t' | b'\n' | b'\r'))
        })
}

/// CSS (a `style` attribute, a presentation attribute, a `<style>` element) must not load
/// anything: no at-rules, no escapes (which could spell `url` another way), only known functions,
/// and `url()` only with a `#fragment`.
fn css_is_local(css: &str) -> Result<(), Refusal> {
    if css.contains('\\') {
        return Err(Refusal::Active("CSS escape"));
    }
    if css.contains('@') {
        return Err(Refusal::Active("CSS at-rule"));
    }
    let lower = css.to_ascii_lowercase();
    let b = lower.as_bytes();
    for (i, _) in lower.match_indices('(') {
        let start = b[..i].iter().rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')).map_or(0, |p| p + 1);
        let name = &lower[start..i];
        if name.is_empty() {
            continue;
        }
        if !CSS_FUNCTIONS.contains(&name) {
            return Err(Refusal::Active("CSS function"));
        }
        if name == "url" && !lower[i + 1..].trim_start().trim_start_matches(['"', '\'']).starts_with('#') {
            return Err(Refusal::Active("outside reference"));
        }
    }
    Ok(())
}

/// Writes the kept tree (iteratively: a deeply nested file cannot exhaust the stack).
fn write(root: Node<'_, '_>) -> String {
    let uses_xlink = root.descendants().any(|n| n.is_element() && kept(n) && n.attributes().any(|a| a.namespace() == Some(XLINK_NS) && kept_attr(a)));
    let mut out = String::with_capacity(1024);
    let mut open: Vec<(Node<'_, '_>, usize)> = Vec::new();
    let mut next = Some(root);
    loop {
        if let Some(node) = next {
            match node.node_type() {
                NodeType::Element if kept(node) => {
                    out.push('<');
                    out.push_str(node.tag_name().name());
                    if open.is_empty() {
                        out.push_str(" xmlns=\"");
                        out.push_str(SVG_NS);
                        out.push('"');
                        if uses_xlink {
                            out.push_str(" xmlns:xlink=\"");
                            out.push_str(XLINK_NS);
                            out.push('"');
                        }
                    }
                    for attr in node.attributes().filter(|a| kept_attr(*a)) {
                        out.push(' ');
                        match attr.namespace() {
                            Some(XLINK_NS) => out.push_str("xlink:"),
                            Some(XML_NS) => out.push_str("xml:"),
                            _ => {}
                        }
                        out.push_str(attr.name());
                        out.push_str("=\"");
                        escape(&mut out, attr.value(), true);
                        out.push('"');
                    }
                    out.push('>');
                    open.push((node, out.len()));
                    next = node.first_child();
                    continue;
                }
                NodeType::Text => escape(&mut out, node.text().unwrap_or(""), false),
                _ => {}
            }
            next = node.next_sibling();
            continue;
        }
        let Some((node, empty_at)) = open.pop() else { break };
        if out.len() == empty_at {
            out.pop();
            out.push_str("/>");
        } else {
            out.push_str("</");
            out.push_str(node.tag_name().name());
            out.push('>');
        }
        if open.is_empty() {
            break;
        }
        next = node.next_sibling();
    }
    out
}

fn kept(node: Node<'_, '_>) -> bool {
    node.tag_name().namespace() == Some(SVG_NS) && ELEMENTS.contains(&node.tag_name().name())
}

fn kept_attr(attr: roxmltree::Attribute<'_, '_>) -> bool {
    match attr.namespace() {
        None => ATTRIBUTES.contains(&attr.name()) || attr.name().starts_with("aria-"),
        Some(XLINK_NS) => attr.name() == "href" || attr.name() == "title",
        Some(XML_NS) => attr.name() == "space" || attr.name() == "lang",
        Some(_) => false,
    }
}

fn escape(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// The root's `width`/`height` (plain numbers or px), else the `viewBox` size.
fn size(root: Node<'_, '_>) -> Option<(i64, i64)> {
    let number = |name: &str| root.attribute(name).and_then(|v| v.trim().trim_end_matches("px").parse::<f64>().ok());
    let (w, h) = match (number("width"), number("height")) {
        (Some(w), Some(h)) => (w, h),
        _ => {
            let v: Vec<f64> = root.attribute("viewBox")?.split([' ', ',', '\t', '\n']).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
            (*v.get(2)?, *v.get(3)?)
        }
    };
    let (w, h) = (w.round() as i64, h.round() as i64);
    ((1..=100_000).contains(&w) && (1..=100_000).contains(&h)).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">"#;

    fn refused(svg: &str) -> Option<Refusal> {
        sanitize(svg).err()
    }

    #[test]
    fn every_bypass_of_the_outside_probe_is_refused() {
        let cases = [
            // A prefix bound to the SVG namespace is still SVG's <script>.
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></svg>"#,
            r#"<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></s:svg>"#,
            // An undeclared prefix is not XML at all.
            r#"<svg xmlns="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></s:foreignObject></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><a id="l"><s:set attributeName="href" to="jav&#x61;script:alert(1)"/><text>x</text></a></svg>"#,
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href\n=\"jav&#x61;script:alert(1)\"><text>x</text></a></svg>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><use href\t=\"https://evil.example/x.svg#a\"/></svg>",
            // What the old deny-list already caught stays refused.
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect ONCLICK = "x"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="other.svg#a"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x)</style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><animate attributeName="href" to="javascript:x"/></svg>"#,
            // Entities, spelled URLs and CSS tricks.
            r#"<!DOCTYPE svg [<!ENTITY x "javascript:alert(1)">]><svg xmlns="http://www.w3.org/2000/svg"><a href="&x;"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/p#a)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:u\72l(https://evil.example/)"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url( 'https://evil.example/' )"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><style><![CDATA[rect{fill:image-set("https://evil.example/a.png" 1x)}]]></style></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a xlink:href="data:text/html,x" xmlns:xlink="http://www.w3.org/1999/xlink"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><g xmlns:h="http://www.w3.org/1999/xhtml"><h:iframe src="https://evil.example/"/></g></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><metadata><x:handler xmlns:x="urn:x">alert(1)</x:handler></metadata></svg>"#,
            r#"<?xml-stylesheet href="https://evil.example/s.css"?><svg xmlns="http://www.w3.org/2000/svg"/>"#,
            // Not SVG at all.
            r#"<svg><rect/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></svg>"#,
        ];
        for svg in cases {
            assert!(refused(svg).is_some(), "accepted: {svg}");
        }
        assert_eq!(refused(cases[0]), Some(Refusal::Active("script")));
        assert_eq!(refused(cases[4]), Some(Refusal::Active("foreignobject")));
        assert_eq!(refused(cases[5]), Some(Refusal::Active("set")));
        assert_eq!(refused(cases[6]), Some(Refusal::Active("outside reference")));
        assert_eq!(refused(cases[7]), Some(Refusal::Active("outside reference")));
        assert_eq!(refused(cases[16]), Some(Refusal::Invalid("DOCTYPE")));
    }

    #[test]
    fn what_is_stored_is_written_from_the_parse_with_only_allowed_names() {
        let input = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><!-- made with an editor -->"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="40px" height="30" inkscape:version="1.3">"#,
            r#"<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>"#,
            r##"<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>"##,
            r##"<g inkscape:label="Layer 1" data-x="1" style="fill:url(#g);stroke:rgb(1,2,3)"><rect width="4" height="4" fill="url(&quot;#g&quot;)"/>"##,
            r##"<use xlink:href="#g"/><text x="1">A &amp; B &lt; C</text></g></svg>"##,
        );
        let clean = sanitize(input).unwrap();
        let out = String::from_utf8(clean.bytes).unwrap();
        assert_eq!(
            out,
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40px" height="30">"#,
                r##"<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>"##,
                r##"<g style="fill:url(#g);stroke:rgb(1,2,3)"><rect width="4" height="4" fill="url(&quot;#g&quot;)"/>"##,
                r##"<use xlink:href="#g"/><text x="1">A &amp; B &lt; C</text></g></svg>"##,
            )
        );
        assert_eq!(clean.size, Some((40, 30)));
        // The written form is itself accepted and unchanged: a fixed point.
        assert_eq!(String::from_utf8(sanitize(&out).unwrap().bytes).unwrap(), out);
    }

    #[test]
    fn inline_raster_images_and_local_links_are_kept() {
        let svg = format!(r##"{HEAD}<image href="data:image/png;base64,iVBORw0KGgo=" width="2" height="2"/><a href="#x"><text>t</text></a></svg>"##);
        let out = String::from_utf8(sanitize(&svg).unwrap().bytes).unwrap();
        assert!(out.contains(r#"<image href="data:image/png;base64,iVBORw0KGgo=""#), "{out}");
        assert!(out.contains(r##"<a href="#x">"##), "{out}");
        assert_eq!(sanitize(&svg).unwrap().size, Some((10, 10)));
    }

    #[test]
    fn deep_nesting_is_written_without_recursion() {
        let depth = 50_000;
        let svg = format!("{HEAD}{}{}</svg>", "<g>".repeat(depth), "</g>".repeat(depth));
        let out = String::from_utf8(sanitize(&svg).unwrap().bytes).unwrap();
        assert_eq!(out.matches("<g").count(), depth);
    }
}
