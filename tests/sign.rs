//! `goodlife sign webhook|spi`: one line of lowercase hex, equal to a digest
//! computed independently here by python3's hashlib; the secret never from argv.

mod common;

use common::python_digest;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_goodlife");

fn goodlife(args: &[&str], secret_env: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in [
        "DOUYIN_BASE_URL",
        "DOUYIN_ACCESS_TOKEN",
        "DOUYIN_CLIENT_KEY",
        "DOUYIN_CLIENT_SECRET",
        "DOUYIN_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    if let Some(s) = secret_env {
        cmd.env("DOUYIN_CLIENT_SECRET", s);
    }
    cmd.output().expect("goodlife ran")
}

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

fn ok_line(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly one line: {stdout:?}");
    let line = stdout.trim_end_matches('\n');
    assert!(
        line.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    line.to_string()
}

#[test]
fn webhook_signature_from_env() {
    let dir = tempfile::tempdir().unwrap();
    let body = "{\"event\":\"life_trade_certificate_notify\",\"content\":\"{\\\"a\\\": \\\"券 码\\\"}\"}\n".as_bytes();
    let body_file = file(&dir, "body.json", body);
    let out = goodlife(
        &["sign", "webhook", "--body-file", &body_file],
        Some("sec ret"),
    );
    let mut signed = b"sec ret".to_vec();
    signed.extend_from_slice(body);
    assert_eq!(ok_line(&out), python_digest("sha1", &signed));
}

#[test]
fn spi_post_from_secret_file() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = file(&dir, "secret", b"yyyyyy\n");
    let body = "{\"备注\": \"a b\\n\"}".as_bytes();
    let body_file = file(&dir, "body.json", body);
    let out = goodlife(
        &[
            "sign",
            "spi",
            "--secret-file",
            &secret_file,
            "--method",
            "POST",
            "--query",
            "timestamp=1624293280123&sign=old&client_key=xxxxxx",
            "--body-file",
            &body_file,
        ],
        None,
    );
    let mut str1 = b"yyyyyy&client_key=xxxxxx&timestamp=1624293280123&http_body=".to_vec();
    str1.extend_from_slice(body);
    assert_eq!(ok_line(&out), python_digest("sha256", &str1));
}

#[test]
fn spi_get_has_no_body() {
    let out = goodlife(
        &[
            "sign",
            "spi",
            "--query",
            "timestamp=1&client_key=k&b=%E5%88%B8+2",
        ],
        Some("s"),
    );
    assert_eq!(
        ok_line(&out),
        python_digest("sha256", "s&b=券 2&client_key=k&timestamp=1".as_bytes())
    );
}

#[test]
fn secret_never_from_argv() {
    let dir = tempfile::tempdir().unwrap();
    let body_file = file(&dir, "body.json", b"{}");
    let out = goodlife(
        &[
            "sign",
            "webhook",
            "--body-file",
            &body_file,
            "--client-secret",
            "argv-secret",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("argv-secret"), "{stderr}");
    assert!(
        stderr.contains("DOUYIN_CLIENT_SECRET") && stderr.contains("--client-secret-file"),
        "{stderr}"
    );
    // Refused even when it equals the environment's, and in the `=` form.
    for args in [
        &[
            "--client-secret",
            "argv-secret",
            "sign",
            "webhook",
            "--body-file",
            &body_file,
        ][..],
        &[
            "sign",
            "webhook",
            "--body-file",
            &body_file,
            "--client-secret=argv-secret",
        ],
    ] {
        let out = goodlife(args, Some("argv-secret"));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!String::from_utf8_lossy(&out.stderr).contains("argv-secret"));
    }

    let out = goodlife(&["sign", "webhook", "--body-file", &body_file], None);
    assert_eq!(out.status.code(), Some(2), "no secret at all");
    assert!(out.stdout.is_empty());
}

#[test]
fn get_with_a_body_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let body_file = file(&dir, "body.json", b"{}");
    let out = goodlife(
        &[
            "sign",
            "spi",
            "--query",
            "client_key=k&timestamp=1",
            "--body-file",
            &body_file,
        ],
        Some("s"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn secret_file_from_a_file_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let body = br#"{"event":"verify_webhook"}"#;
    let body_file = file(&dir, "body.json", body);
    let expected = python_digest("sha1", &[&b"file-secret"[..], body].concat());

    let secret_file = file(&dir, "secret", b"file-secret\n");
    for option in ["--secret-file", "--client-secret-file"] {
        // The file wins over the environment.
        let out = goodlife(
            &[
                "sign",
                option,
                &secret_file,
                "webhook",
                "--body-file",
                &body_file,
            ],
            Some("env-secret"),
        );
        assert_eq!(ok_line(&out), expected, "{option}");
    }

    // `-` reads stdin; a trailing CRLF is dropped.
    let mut child = Command::new(BIN)
        .args([
            "sign",
            "--secret-file",
            "-",
            "webhook",
            "--body-file",
            &body_file,
        ])
        .env_remove("DOUYIN_CLIENT_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("goodlife ran");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"file-secret\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(ok_line(&out), expected);

    // Both options at once, or an empty file: refused, content never shown.
    let out = goodlife(
        &[
            "--client-secret-file",
            &secret_file,
            "sign",
            "--secret-file",
            &secret_file,
            "webhook",
            "--body-file",
            &body_file,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("file-secret"));
    let empty = file(&dir, "empty", b"");
    let out = goodlife(
        &[
            "sign",
            "--secret-file",
            &empty,
            "webhook",
            "--body-file",
            &body_file,
        ],
        Some("env-secret"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--secret-file"));
}
