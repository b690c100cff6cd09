//! The API reference at `/api/v1/docs`: rendered on the server from the same OpenAPI document the
//! API serves at `/api/v1/openapi.json` (so the two cannot disagree), with no script at all. Each
//! operation shows its parameters, its body's fields, every status it answers with, and a curl
//! command to copy.

use maud::{html, Markup, DOCTYPE};
use serde_json::{json, Map, Value};

use crate::assets;

const METHODS: [&str; 6] = ["get", "head", "post", "put", "patch", "delete"];

/// One operation of the document, in document order.
pub struct Operation<'a> {
    pub method: &'static str,
    pub path: &'a str,
    pub op: &'a Value,
    /// Parameters of the path item and of the operation, `$ref`s resolved.
    pub parameters: Vec<&'a Value>,
}

/// Every operation of `doc`, in the order its paths are written.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = doc["paths"].as_object() else { return Vec::new() };
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let declared = item["parameters"].as_array().into_iter().flatten().chain(op["parameters"].as_array().into_iter().flatten());
            let parameters = declared.map(|p| resolve(doc, p)).collect();
            out.push(Operation { method, path, op, parameters });
        }
    }
    out
}

/// A `{"$ref": "#/components/…"}` as what it points at (anything else as it is).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(value),
        None => value,
    }
}

/// A value for a schema in an example body: its `example`, its first `enum` value, or one of its type.
fn example(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).find(|k| *k != "null").unwrap_or("string"),
        Value::String(kind) => kind.as_str(),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "integer" | "number" => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        "boolean" => json!(false),
        "array" if depth < 3 => json!([example(doc, &schema["items"], depth + 1)]),
        "array" => json!([]),
        "object" if depth < 3 => {
            // The required fields only: the smallest body the operation accepts.
            let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let mut body = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if required.contains(&name.as_str()) {
                    body.insert(name.clone(), example(doc, property, depth + 1));
                }
            }
            Value::Object(body)
        }
        "object" => json!({}),
        _ => json!("…"),
    }
}

/// `{line_id}` → `$LINE_ID`, a shell variable the reader sets.
fn shell_var(name: &str) -> String {
    format!("${}", name.to_ascii_uppercase().replace('-', "_"))
}

/// A curl command for the operation against `origin`: path parameters and tokens as shell
/// variables, the headers it takes, and the smallest JSON body it accepts.
pub fn curl(doc: &Value, origin: &str, o: &Operation<'_>) -> String {
    let mut path = o.path.to_string();
    for p in &o.parameters {
        if p["in"] == "path" {
            if let Some(name) = p["name"].as_str() {
                path = path.replace(&format!("{{{name}}}"), &shell_var(name));
            }
        }
    }
    let mut parts = vec!["curl".to_string()];
    if o.method != "get" {
        parts.push(format!("-X {}", o.method.to_ascii_uppercase()));
    }
    for p in &o.parameters {
        let Some(name) = p["name"].as_str().filter(|_| p["in"] == "header") else { continue };
        let value = if name.eq_ignore_ascii_case("Idempotency-Key") { "$(uuidgen)".to_string() } else { shell_var(name) };
        parts.push(format!("-H \"{name}: {value}\""));
    }
    if o.op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearerAuth").is_some())) {
        parts.push("-H \"Authorization: Bearer $ACCESS_TOKEN\"".to_string());
    }
    if let Some(schema) = o.op.pointer("/requestBody/content/application~1json/schema") {
        parts.push("-H 'Content-Type: application/json'".to_string());
        parts.push(format!("-d '{}'", example(doc, schema, 0).to_string().replace('\'', "'\\''")));
    }
    parts.push(format!("\"{origin}{path}\""));
    parts.join(" \\\n  ")
}

fn anchor(o: &Operation<'_>) -> String {
    o.op["operationId"].as_str().map_or_else(|| format!("{}-{}", o.method, o.path.replace(['/', '{', '}'], "-")), str::to_string)
}

/// The reference page.
pub fn reference(doc: &Value, origin: &str) -> Markup {
    let ops = operations(doc);
    let title = doc["info"]["title"].as_str().unwrap_or("Vestify API");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — reference" }
                link rel="stylesheet" href=(assets::url("css/app.css"));
            }
            body.api-docs {
                main.container {
                    h1 { (title) " " small { (doc["info"]["version"].as_str().unwrap_or_default()) } }
                    p lang="vi" { "Tài liệu API JSON của cửa hàng: mỗi thao tác, tham số, mã trạng thái và một lệnh curl để sao chép." }
                    p { (doc["info"]["description"].as_str().unwrap_or_default()) }
                    p { "Machine-readable: " a href="/api/v1/openapi.json" { code { "/api/v1/openapi.json" } } " (OpenAPI 3.1). Errors are " code { "{\"error\": {\"code\", \"message\", \"fields\", \"request_id\"}}" } "." }
                    p id="webhooks" {
                        "Webhooks: instead of polling, a shop manager registers your https endpoint at " code { "/admin/webhooks" } " for the events "
                        @for (i, e) in crate::domain::webhooks::Event::SUBSCRIBABLE.iter().enumerate() { @if i > 0 { ", " } code { (e.code()) } }
                        ". Each arrives as a POST of " code { "{\"id\", \"type\", \"created_at\", \"data\"}" } " signed " code { "Vestify-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>" } " with " code { "Vestify-Event-Id" }
                        "; answer 2xx within 10 s, anything else is retried (6 tries). Verification recipe (Node, Rust), the 5-minute tolerance and a test vector: docs/WEBHOOKS.md in the repository."
                    }
                    nav aria-label="Operations" {
                        ul {
                            @for o in &ops {
                                li { a href={ "#" (anchor(o)) } { code { (o.method.to_ascii_uppercase()) " " (o.path) } } " — " (o.op["summary"].as_str().unwrap_or_default()) }
                            }
                        }
                    }
                    @for o in &ops {
                        section.operation id=(anchor(o)) data-operation={ (o.method.to_ascii_uppercase()) " " (o.path) } {
                            h2 { code { (o.method.to_ascii_uppercase()) " " (o.path) } }
                            @if let Some(summary) = o.op["summary"].as_str() { p { strong { (summary) } } }
                            @if let Some(description) = o.op["description"].as_str() { p { (description) } }
                            @if o.op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearerAuth").is_some())) {
                                p { "Takes " code { "Authorization: Bearer <access token>" } " (from " code { "POST /api/v1/auth/token" } ")." }
                            }
                            @if !o.parameters.is_empty() {
                                h3 { "Parameters" }
                                table {
                                    thead { tr { th { "Name" } th { "In" } th { "Required" } th { "Description" } } }
                                    tbody {
                                        @for p in &o.parameters {
                                            tr {
                                                td { code { (p["name"].as_str().unwrap_or_default()) } }
                                                td { (p["in"].as_str().unwrap_or_default()) }
                                                td { @if p["required"].as_bool() == Some(true) { "yes" } @else { "no" } }
                                                td { (p["description"].as_str().unwrap_or_default()) }
                                            }
                                        }
                                    }
                                }
                            }
                            @if let Some(schema) = o.op.pointer("/requestBody/content/application~1json/schema") {
                                @let schema = resolve(doc, schema);
                                h3 { "Body (application/json)" }
                                ul {
                                    @for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                                        @let property = resolve(doc, property);
                                        @let required = schema["required"].as_array().is_some_and(|r| r.iter().any(|n| n == name.as_str()));
                                        li {
                                            code { (name) }
                                            @if required { " (required)" }
                                            @if let Some(d) = property["description"].as_str() { " — " (d) }
                                        }
                                    }
                                }
                            }
                            h3 { "Responses" }
                            dl.responses {
                                @for (status, response) in o.op["responses"].as_object().into_iter().flatten() {
                                    @let response = resolve(doc, response);
                                    dt { code { (status) } }
                                    dd {
                                        (response["description"].as_str().unwrap_or_default())
                                        @if let Some(schema) = response.pointer("/content/application~1json/schema/$ref").and_then(Value::as_str) {
                                            " — " code { (schema.rsplit('/').next().unwrap_or_default()) }
                                        }
                                    }
                                }
                            }
                            h3 { "Example" }
                            pre.example { code { (curl(doc, origin, o)) } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_json::from_str(include_str!("../routes/openapi.json")).expect("the OpenAPI document parses")
    }

    #[test]
    fn every_operation_of_the_document_is_on_the_page_with_its_statuses_and_a_curl_example() {
        let doc = doc();
        let page = reference(&doc, "https://vestify.vn").into_string();
        assert!(page.contains("id=\"webhooks\"") && page.contains("<code>stock.low</code>") && page.contains("Vestify-Signature"), "the webhooks paragraph");
        let ops = operations(&doc);
        assert!(ops.len() >= 20, "{}", ops.len());
        for o in &ops {
            let marker = format!("data-operation=\"{} {}\"", o.method.to_ascii_uppercase(), o.path);
            let at = page.find(&marker).unwrap_or_else(|| panic!("{marker} is missing"));
            let section = &page[at..page[at..].find("</section>").map_or(page.len(), |end| at + end)];
            for status in o.op["responses"].as_object().expect("responses").keys() {
                assert!(section.contains(&format!("<dt><code>{status}</code></dt>")), "{marker}: status {status}");
            }
            assert!(section.contains("<pre class=\"example\"><code>curl"), "{marker}: a curl example");
        }
        assert!(!page.contains("<script"), "no script, third-party or other");
    }

    #[test]
    fn a_curl_example_carries_the_path_tokens_keys_and_smallest_body() {
        let doc = doc();
        let ops = operations(&doc);
        let find = |method: &str, path: &str| ops.iter().find(|o| o.method == method && o.path == path).unwrap_or_else(|| panic!("{method} {path}"));
        let checkout = curl(&doc, "https://vestify.vn", find("post", "/api/v1/carts/{id}/checkout"));
        assert!(checkout.starts_with("curl \\\n  -X POST"), "{checkout}");
        assert!(checkout.contains("-H \"X-Cart-Token: $X_CART_TOKEN\""), "{checkout}");
        assert!(checkout.contains("-H \"Idempotency-Key: $(uuidgen)\""), "{checkout}");
        assert!(checkout.contains("\"https://vestify.vn/api/v1/carts/$ID/checkout\""), "{checkout}");
        let body = checkout.split("-d '").nth(1).and_then(|b| b.split("' \\").next()).expect("a body");
        let body: Value = serde_json::from_str(body).expect("the example body is JSON");
        let required = resolve(&doc, &doc["paths"]["/api/v1/carts/{id}/checkout"]["post"]["requestBody"]["content"]["application/json"]["schema"])["required"].clone();
        for field in required.as_array().expect("required fields") {
            assert!(body.get(field.as_str().expect("a name")).is_some(), "{field} in {body}");
        }
        let me = curl(&doc, "https://vestify.vn", find("get", "/api/v1/me"));
        assert_eq!(me, "curl \\\n  -H \"Authorization: Bearer $ACCESS_TOKEN\" \\\n  \"https://vestify.vn/api/v1/me\"");
        let line = curl(&doc, "https://vestify.vn", find("patch", "/api/v1/carts/{id}/items/{line_id}"));
        assert!(line.contains("/api/v1/carts/$ID/items/$LINE_ID") && line.contains("-d '{\"quantity\":1}'"), "{line}");
    }
}
