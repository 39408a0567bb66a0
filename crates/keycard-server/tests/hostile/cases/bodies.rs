//! Request bodies that are not the JSON a route reads: malformed, nested past any reason,
//! with duplicate keys, wrong types, bytes that are not UTF-8, NULs, oversized fields.

use super::{Case, post_json, request};
use crate::world::{MALLORY, World};

pub fn cases(world: &World) -> Vec<Case> {
    let login = |body: &[u8]| post_json(world, "/v1/login", false, body);
    let register = |body: &[u8]| post_json(world, "/v1/users", false, body);
    let password = |body: &[u8]| post_json(world, "/v1/password", true, body);
    let nested_arrays = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    let nested_objects = format!("{}1{}", r#"{"a":"#.repeat(500), "}".repeat(500));
    let long_email = format!(
        r#"{{"email":"{}@hostile.test","password":"a long enough password"}}"#,
        "m".repeat(3000)
    );
    let oversized = format!(
        r#"{{"email":"{MALLORY}","password":"{}"}}"#,
        "p".repeat(5000)
    );
    let json_for =
        |email: &str| format!(r#"{{"email":"{email}","password":"a long enough password"}}"#);
    vec![
        Case::new(
            "login: truncated JSON",
            login(br#"{"email": "victim@example.com", "pass"#),
        )
        .expect(400),
        Case::new(
            "login: arrays nested 2000 deep",
            login(nested_arrays.as_bytes()),
        ),
        Case::new(
            "login: objects nested 500 deep",
            login(nested_objects.as_bytes()),
        ),
        Case::new(
            "login: duplicate key",
            login(
                br#"{"email":"victim@example.com","email":"attacker@example.com","password":"x"}"#,
            ),
        ),
        Case::new(
            "register: duplicate key",
            register(
                json_for(MALLORY)
                    .replacen('{', r#"{"email":"other@hostile.test","#, 1)
                    .as_bytes(),
            ),
        ),
        Case::new(
            "login: email as a number",
            login(br#"{"email":12345,"password":"x"}"#),
        ),
        Case::new(
            "login: password as an array",
            login(br#"{"email":"victim@example.com","password":["a"]}"#),
        ),
        Case::new(
            "login: null fields",
            login(br#"{"email":null,"password":null}"#),
        ),
        Case::new(
            "login: password 1e999",
            login(br#"{"email":"victim@example.com","password":1e999}"#),
        ),
        Case::new(
            "login: invalid UTF-8",
            login(b"{\"email\":\"vic\xff\xfetim@example.com\",\"password\":\"x\"}"),
        )
        .expect(400),
        Case::new(
            "login: overlong UTF-8",
            login(b"{\"email\":\"\xc0\xafvictim@example.com\",\"password\":\"x\"}"),
        )
        .expect(400),
        Case::new(
            "login: lone surrogate",
            login(br#"{"email":"\ud800@example.com","password":"x"}"#),
        ),
        Case::new(
            "register: NUL in email",
            register(json_for(r"mallory\u0000@hostile.test").as_bytes()),
        ),
        Case::new(
            "register: raw NUL byte",
            register(json_for("mallory\0@hostile.test").as_bytes()),
        ),
        Case::new(
            "register: CRLF in email",
            register(json_for(r"mallory@hostile.test\r\nBcc: x@y.z").as_bytes()),
        ),
        Case::new(
            "register: markup in email",
            register(json_for("<script>@hostile.test").as_bytes()),
        ),
        Case::new(
            "register: 3000-character email",
            register(long_email.as_bytes()),
        ),
        Case::new(
            "register: body over the limit",
            register(oversized.as_bytes()),
        )
        .expect(413),
        Case::new(
            "login: no content type",
            request(
                world,
                "POST",
                "/v1/login",
                &[],
                Some(json_for(MALLORY).as_bytes()),
            ),
        )
        .expect(415),
        Case::new(
            "login: text/plain",
            request(
                world,
                "POST",
                "/v1/login",
                &[("Content-Type", "text/plain")],
                Some(json_for(MALLORY).as_bytes()),
            ),
        )
        .expect(415),
        Case::new(
            "login: form encoded",
            request(
                world,
                "POST",
                "/v1/login",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                Some(b"email=victim%40example.com&password=x"),
            ),
        )
        .expect(415),
        Case::new(
            "login: top-level array",
            login(br#"[{"email":"victim@example.com","password":"x"}]"#),
        ),
        Case::new("login: empty body", login(b"")).expect(400),
        Case::new(
            "login: byte-order mark",
            login(b"\xef\xbb\xbf{\"email\":\"victim@example.com\",\"password\":\"x\"}"),
        )
        .expect(400),
        Case::new(
            "login: comments",
            login(br#"{/* */"email":"victim@example.com","password":"x"}"#),
        )
        .expect(400),
        Case::new(
            "login: single quotes",
            login(br"{'email':'victim@example.com','password':'x'}"),
        )
        .expect(400),
        Case::new(
            "login: trailing garbage",
            login(br#"{"email":"victim@example.com","password":"x"} trailing"#),
        )
        .expect(400),
        Case::new("register: empty object", register(b"{}")),
        Case::new(
            "password change: wrong types",
            password(br#"{"current_password":1,"new_password":["a"]}"#),
        ),
        Case::new(
            "password change: nested 2000 deep",
            password(nested_arrays.as_bytes()),
        ),
    ]
}
