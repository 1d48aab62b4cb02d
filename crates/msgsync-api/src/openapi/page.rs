//! `/docs`: the OpenAPI document as one self-contained HTML page (no script, nothing fetched
//! from elsewhere), rendered once at start-up. It shows what the document says and nothing
//! else, so the page cannot disagree with the document.

use std::fmt::Write;

use indexmap::IndexMap;
use msgsync_core::ErrorKind;

use super::ordered::Json;

use super::errors::meaning;

const STYLE: &str = "
body { font: 15px/1.5 system-ui, sans-serif; color: #1d2330; max-width: 72rem; margin: 0 auto; padding: 1rem 2rem 4rem; }
h1 { margin-bottom: 0; } h2 { border-bottom: 2px solid #dde2ea; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { margin: 2rem 0 .3rem; font-size: 1.05rem; } h4 { margin: 1rem 0 .3rem; font-size: .95rem; }
code { font: 13px ui-monospace, monospace; background: #f1f3f7; padding: 0 .25rem; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #e6e9ef; padding: .3rem .5rem; }
th { font-size: .8rem; text-transform: uppercase; color: #5b6473; }
td p, td ul { margin: 0 0 .3rem; } td ul { padding-left: 1.1rem; }
.method { display: inline-block; min-width: 4.2rem; font: bold 12px ui-monospace, monospace; color: #fff; background: #2f6fd0; border-radius: 3px; padding: .1rem .4rem; text-align: center; }
.method.post { background: #1f8a4c; } .method.delete { background: #c0392b; }
.key { font-size: .8rem; color: #5b6473; } .toc { columns: 2; } .toc li { break-inside: avoid; }
a { color: #2f6fd0; text-decoration: none; } a:hover { text-decoration: underline; }
";

/// The page for `document` (the OpenAPI document as JSON).
pub fn render(document: &Json) -> String {
    let mut html = String::new();
    let info = &document["info"];
    let title = info["title"].as_str().unwrap_or("API");
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} reference</title><style>{STYLE}</style></head><body>\
         <h1>{title}</h1><p class=\"key\">version {version} · OpenAPI {openapi} · \
         the document: <a href=\"/api/v1/openapi.json\"><code>/api/v1/openapi.json</code></a></p>",
        title = escape(title),
        version = escape(info["version"].as_str().unwrap_or("")),
        openapi = escape(document["openapi"].as_str().unwrap_or("")),
    );
    html.push_str(&markdown(info["description"].as_str().unwrap_or("")));

    let operations = operations(document);
    html.push_str("<h2>Routes</h2><ul class=\"toc\">");
    for op in &operations {
        let _ = write!(
            html,
            "<li><a href=\"#{anchor}\"><span class=\"method {lower}\">{method}</span> \
             <code>{path}</code></a></li>",
            anchor = op.anchor(),
            lower = op.method,
            method = op.method.to_uppercase(),
            path = escape(&op.path),
        );
    }
    html.push_str("</ul>");

    let mut current_tag = None;
    for op in &operations {
        let tag = op.operation["tags"][0].as_str().unwrap_or("Other");
        if current_tag != Some(tag) {
            let description = document["tags"]
                .as_array()
                .and_then(|tags| tags.iter().find(|t| t["name"] == tag))
                .and_then(|t| t["description"].as_str())
                .unwrap_or("");
            let _ = write!(
                html,
                "<h2>{}</h2><p>{}</p>",
                escape(tag),
                inline(description)
            );
            current_tag = Some(tag);
        }
        render_operation(&mut html, op);
    }

    html.push_str("<h2 id=\"shapes\">Shapes</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(html, "<h3 id=\"schema-{0}\">{0}</h3>", escape(name));
            render_schema(&mut html, schema);
        }
    }

    html.push_str(
        "<h2 id=\"errors\">Error types</h2><p>Every error answer is an \
         <a href=\"#schema-ErrorEnvelope\">ErrorEnvelope</a> whose <code>type</code> is one of \
         these (the routes above list those each can answer).</p>\
         <table><tr><th>type</th><th>status</th><th>meaning</th></tr>",
    );
    for kind in ErrorKind::ALL {
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            kind.type_uri(),
            kind.status(),
            inline(meaning(*kind))
        );
    }
    html.push_str("</table></body></html>\n");
    html
}

struct Operation<'a> {
    path: String,
    method: &'a str,
    operation: &'a Json,
}

impl Operation<'_> {
    fn anchor(&self) -> String {
        match self.operation["operationId"].as_str() {
            Some(id) => format!("op-{}", escape(id)),
            None => format!("op-{}-{}", self.method, escape(&self.path)),
        }
    }
}

/// Every operation of the document, by tag in the order the document lists its tags, then in
/// the order of the paths.
fn operations(document: &Json) -> Vec<Operation<'_>> {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                all.push(Operation {
                    path: path.clone(),
                    method,
                    operation,
                });
            }
        }
    }
    let tag_order: Vec<&str> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    all.sort_by_key(|op| {
        let tag = op.operation["tags"][0].as_str().unwrap_or("");
        tag_order
            .iter()
            .position(|t| *t == tag)
            .unwrap_or(usize::MAX)
    });
    all
}

fn render_operation(html: &mut String, op: &Operation<'_>) {
    let o = op.operation;
    let _ = write!(
        html,
        "<h3 id=\"{anchor}\"><span class=\"method {lower}\">{method}</span> <code>{path}</code></h3>",
        anchor = op.anchor(),
        lower = op.method,
        method = op.method.to_uppercase(),
        path = escape(&op.path),
    );
    let keyed = o["security"].as_array().is_some_and(|s| !s.is_empty());
    let _ = write!(
        html,
        "<p class=\"key\">{}</p>",
        if keyed {
            "API key required (<code>X-API-KEY</code>)"
        } else {
            "No key needed"
        }
    );
    for field in ["summary", "description"] {
        if let Some(text) = o[field].as_str() {
            html.push_str(&markdown(text));
        }
    }
    if let Some(parameters) = o["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th>\
             <th>description</th></tr>",
        );
        for p in parameters {
            let _ = write!(
                html,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(p["name"].as_str().unwrap_or("")),
                if p["required"] == true {
                    " (required)"
                } else {
                    ""
                },
                escape(p["in"].as_str().unwrap_or("")),
                type_label(&p["schema"]),
                markdown(p["description"].as_str().unwrap_or("")),
            );
        }
        html.push_str("</table>");
    }
    if let Some(content) = o["requestBody"]["content"].as_object() {
        html.push_str("<h4>Request body</h4>");
        for (media_type, body) in content {
            let _ = write!(html, "<p><code>{}</code></p>", escape(media_type));
            render_schema(html, &body["schema"]);
        }
    }
    html.push_str(
        "<h4>Answers</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>",
    );
    for (status, response) in o["responses"].as_object().into_iter().flatten() {
        let bodies: Vec<String> = response["content"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(media_type, c)| {
                let schema = &c["schema"];
                // An error answer: the envelope, its types listed in the description.
                let shown = schema["allOf"][0]
                    .get("$ref")
                    .map_or(schema, |_| &schema["allOf"][0]);
                format!("<code>{}</code> {}", escape(media_type), type_label(shown))
            })
            .collect();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(status),
            markdown(response["description"].as_str().unwrap_or("")),
            bodies.join("<br>"),
        );
    }
    html.push_str("</table>");
}

/// A schema: its description, and the table of its fields (or of each shape it may take).
fn render_schema(html: &mut String, schema: &Json) {
    if let Some(text) = schema["description"].as_str() {
        html.push_str(&markdown(text));
    }
    if let Some(variants) = schema["oneOf"].as_array() {
        html.push_str("<p>One of:</p>");
        for variant in variants {
            if let Some(title) = variant["title"].as_str() {
                let _ = write!(html, "<h4>{}</h4>", escape(title));
            }
            render_schema(html, variant);
        }
        return;
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            if part.get("$ref").is_some() {
                let _ = write!(html, "<p>All the fields of {}, and:</p>", type_label(part));
            } else {
                render_schema(html, part);
            }
        }
        return;
    }
    match schema["properties"].as_object() {
        Some(properties) => render_properties(html, schema, properties),
        None if schema.get("$ref").is_some() || schema.get("type").is_some() => {
            let _ = write!(html, "<p>{}</p>", type_label(schema));
        }
        None => {}
    }
}

fn render_properties(html: &mut String, schema: &Json, properties: &IndexMap<String, Json>) {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    html.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
    for (name, property) in properties {
        let _ = write!(
            html,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            if required.contains(&name.as_str()) {
                ""
            } else {
                " (optional)"
            },
            type_label(property),
            markdown(description(property)),
        );
    }
    html.push_str("</table>");
    // Fields a part of a composition makes required, which another part describes.
    let elsewhere: Vec<String> = required
        .iter()
        .filter(|name| !properties.contains_key(**name))
        .map(|name| format!("<code>{}</code>", escape(name)))
        .collect();
    if !elsewhere.is_empty() {
        let _ = write!(html, "<p>Always present: {}.</p>", elsewhere.join(", "));
    }
}

/// A field's description: its own, or that of the reference it is (`Timestamp` or `null`).
fn description(schema: &Json) -> &str {
    schema["description"]
        .as_str()
        .or_else(|| {
            ["oneOf", "anyOf"]
                .iter()
                .filter_map(|key| schema[*key].as_array())
                .flatten()
                .find_map(|part| part["description"].as_str())
        })
        .unwrap_or("")
}

/// A short description of a schema's type: `string`, `integer, 1 to 250`, `Chat or null`…
fn type_label(schema: &Json) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for (key, word) in [("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")] {
        if let Some(parts) = schema[key].as_array() {
            let labels: Vec<String> = parts.iter().map(type_label).collect();
            return labels.join(word);
        }
    }
    let mut label = match &schema["type"] {
        Json::String(t) => t.clone(),
        Json::Array(types) => types
            .iter()
            .filter_map(Json::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    };
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", escape(&v.to_string())))
            .collect();
        return format!("{label}: {}", values.join(" | "));
    }
    if label.starts_with("array") {
        label = format!("array of {}", type_label(&schema["items"]));
    }
    let mut facts = Vec::new();
    // int32 and int64 say nothing a reader needs: the ranges that matter are given.
    if let Some(format) = schema["format"].as_str().filter(|f| !f.starts_with("int")) {
        facts.push(escape(format));
    }
    match (schema["minimum"].as_i64(), schema["maximum"].as_i64()) {
        (Some(min), Some(max)) => facts.push(format!("{min} to {max}")),
        (Some(min), None) => facts.push(format!("at least {min}")),
        (None, Some(max)) => facts.push(format!("at most {max}")),
        (None, None) => {}
    }
    if let Some(max) = schema["maxLength"].as_i64() {
        facts.push(format!("at most {max} characters"));
    }
    match (schema["minItems"].as_i64(), schema["maxItems"].as_i64()) {
        (Some(min), Some(max)) if min == max => facts.push(format!("{min} items")),
        (_, Some(max)) => facts.push(format!("at most {max} items")),
        _ => {}
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        facts.push(format!("matching <code>{}</code>", escape(pattern)));
    }
    if facts.is_empty() {
        label
    } else {
        format!("{label} ({})", facts.join(", "))
    }
}

/// The little Markdown the document's texts use: paragraphs, `- ` lists, `code` and **bold**.
fn markdown(text: &str) -> String {
    let mut html = String::new();
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().map(str::trim).collect();
        if lines[0].starts_with("- ") {
            // An item goes on over the lines that do not start another.
            let mut items: Vec<String> = Vec::new();
            for line in lines {
                match (line.strip_prefix("- "), items.last_mut()) {
                    (Some(start), _) => items.push(start.to_owned()),
                    (None, Some(item)) => {
                        item.push(' ');
                        item.push_str(line);
                    }
                    (None, None) => unreachable!("the block starts with an item"),
                }
            }
            html.push_str("<ul>");
            for item in items {
                let _ = write!(html, "<li>{}</li>", inline(&item));
            }
            html.push_str("</ul>");
        } else {
            let _ = write!(html, "<p>{}</p>", inline(&lines.join(" ")));
        }
    }
    html
}

/// `code` and **bold** within a line, the rest escaped.
fn inline(text: &str) -> String {
    let mut html = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(html, "<code>{}</code>", escape(part));
        } else {
            for (j, run) in escape(part).split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(html, "<strong>{run}</strong>");
                } else {
                    html.push_str(run);
                }
            }
        }
    }
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
