//! The instrument of the live checks: a JSON Schema validator (`jsonschema`, draft
//! 2020-12, the dialect of OpenAPI 3.1) for a schema of the document, and the checker that
//! validates a live answer against the schema its operation, status and media type are
//! documented with.

use std::cell::RefCell;
use std::collections::BTreeSet;

use keycard_server::config::Mode;
use serde_json::{Value, json};

use super::{document, resolve, start};

/// A reference to the component schema `name`.
pub fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A validator for `schema`, whose `$ref`s point into `document`'s components.
pub fn validator(document: &Value, schema: &Value) -> Result<jsonschema::Validator, String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": { "schemas": document["components"]["schemas"] },
        "allOf": [schema],
    });
    jsonschema::draft202012::options()
        .build(&root)
        .map_err(|error| error.to_string())
}

/// The document, and the operations whose live answers were checked against it.
pub struct Checker {
    pub document: Value,
    pub checked: RefCell<BTreeSet<String>>,
}

impl Checker {
    /// Checks a live response against what the document says `method template` answers with
    /// its status; returns the body (`null` when there is none), and notes the operation
    /// as checked.
    pub async fn check(&self, method: &str, template: &str, response: reqwest::Response) -> Value {
        let document = &self.document;
        self.checked
            .borrow_mut()
            .insert(format!("{} {template}", method.to_ascii_uppercase()));
        let status = response.status().as_u16().to_string();
        let media = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let operation = &document["paths"][template][method];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let documented = resolve(document, &operation["responses"][&status]);
        assert!(
            documented.is_object(),
            "{method} {template} answered {status}, which is not documented: {text}"
        );
        let Some(media) = media.filter(|_| !text.is_empty()) else {
            assert!(
                documented.get("content").is_none(),
                "{method} {template} {status}: documented with a body, answered without"
            );
            return Value::Null;
        };
        let schema = &documented["content"][&media]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {status}: no schema for {media}"
        );
        if !media.contains("json") {
            return Value::String(text);
        }
        let body: Value = serde_json::from_str(&text).unwrap();
        let validator = validator(document, schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|error| format!("at {}: {error}", error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status} does not match the document: {errors:?}\n{body}"
        );
        body
    }
}

/// The instrument first: the validator refuses what breaks a schema, through `$ref`s.
#[tokio::test]
async fn the_validator_refuses_what_breaks_a_schema() {
    let (_dir, server) = start(Mode::Jwt, "openapi-validator", |_| {}).await;
    let document = document(&server).await;
    let user = validator(&document, &component("User")).unwrap();
    assert!(user.is_valid(&json!({ "id": "u1", "email": "ada@example.com" })));
    assert!(!user.is_valid(&json!({ "id": 7, "email": "ada@example.com" })));
    assert!(!user.is_valid(&json!({ "email": "ada@example.com" })));
    let login = validator(&document, &component("LoginResponse")).unwrap();
    let token = json!({ "access_token": "a", "expires_in": 900, "token_type": "Bearer" });
    assert!(login.is_valid(&token));
    let mut wrong = token.clone();
    wrong["token_type"] = json!("Basic");
    assert!(
        !login.is_valid(&wrong),
        "an enum member nested behind two $refs"
    );
    let problem = validator(&document, &component("Problem")).unwrap();
    assert!(!problem.is_valid(&json!({ "title": "t", "status": 401, "detail": "d" })));
    server.stop().await.unwrap();
}
