//! Corrections to the generated OpenAPI document, so that it says what the server does.
//!
//! utoipa writes a `#[serde(flatten)]` field as `allOf` of the parts; with the text's
//! `additionalProperties: false` (from `deny_unknown_fields`) beside the outer fields no body
//! could ever be valid. And the problems every operation can answer (a malformed request, a
//! missing token, an unknown id) are the same everywhere, so they are added here once instead
//! of on each handler.

use serde_json::{Map, Value, json};

/// Merges each component schema made of `allOf` objects into one object: the union of their
/// properties and required fields, closed if any part was (serde refuses unknown fields of
/// the flattened part, so the whole body refuses them).
pub(super) fn merge_flattened(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
            continue;
        };
        if !parts
            .iter()
            .all(|p| p.get("type") == Some(&json!("object")))
        {
            continue;
        }
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        let mut closed = false;
        for part in parts {
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                properties.extend(p.clone());
            }
            for r in part
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !required.contains(r) {
                    required.push(r.clone());
                }
            }
            closed |= part.get("additionalProperties") == Some(&json!(false));
        }
        let mut merged =
            json!({ "type": "object", "properties": properties, "required": required });
        if closed {
            merged["additionalProperties"] = json!(false);
        }
        if let Some(description) = schema.get("description") {
            merged["description"] = description.clone();
        }
        *schema = merged;
    }
}

/// Adds the problem responses an operation can give but its handler does not list: 400 for
/// a malformed address or body, 401 and 403 for token operations, 404 for an unknown id,
/// 413 and 422 for a body, and for every operation 429 (the per-address rate limit) and 503
/// (a database outage).
pub(super) fn document_problems(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let has_token = operation.get("security").is_some();
        let has_path_params = operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
        let has_query = operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
        let has_body = operation.get("requestBody").is_some();
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let wanted = [
            (
                "400",
                "The address, a parameter or the body is malformed",
                has_path_params || has_query || has_body,
            ),
            ("401", "No valid token", has_token),
            (
                "403",
                "The token (or its user's role) may not do this",
                has_token,
            ),
            ("404", "No such record", has_path_params),
            ("413", "The body is too large", has_body),
            ("422", "Invalid fields", has_body),
            (
                "429",
                "Too many requests from this address; retry after `Retry-After` seconds",
                true,
            ),
            (
                "503",
                "The database is unavailable; retry after `Retry-After` seconds",
                true,
            ),
        ];
        for (status, description, applies) in wanted {
            if applies && !responses.contains_key(status) {
                responses.insert(status.to_owned(), problem(description));
            }
        }
    }
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}
