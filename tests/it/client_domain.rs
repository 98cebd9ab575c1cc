//! Domain normalisation: pasted URLs, bare hosts, and http only for loopback.

use coupa_access_client::{ConfigError, Connection};
use secrecy::SecretString;

#[test]
fn normalization_table() {
    let ok = [
        (
            "https://acme.coupahost.com/user/home",
            "https://acme.coupahost.com",
        ),
        ("https://acme.coupahost.com", "https://acme.coupahost.com"),
        ("https://acme.coupahost.com/", "https://acme.coupahost.com"),
        ("acme.coupahost.com", "https://acme.coupahost.com"),
        ("  ACME.coupahost.com/  ", "https://acme.coupahost.com"),
        (
            "https://acme.coupacloud.com/requisition/new?x=1#y",
            "https://acme.coupacloud.com",
        ),
        (
            "https://acme.coupahost.com:443/api",
            "https://acme.coupahost.com",
        ),
        (
            "https://acme.coupahost.com:8443",
            "https://acme.coupahost.com:8443",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.5.6.7:1/x", "http://127.5.6.7:1"),
        ("http://localhost:3000/user/home", "http://localhost:3000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ];
    for (input, want) in ok {
        assert_eq!(
            Connection::normalize_domain(input).unwrap(),
            want,
            "{input}"
        );
    }
    let insecure = [
        "http://acme.coupahost.com",
        "http://10.0.0.1",
        "http://localhost.evil.com",
    ];
    for input in insecure {
        assert!(
            matches!(
                Connection::normalize_domain(input),
                Err(ConfigError::InsecureScheme { .. })
            ),
            "{input}"
        );
    }
    let invalid = [
        "",
        "   ",
        "ftp://acme.coupahost.com",
        "https://",
        "https://user:pw@acme.coupahost.com",
    ];
    for input in invalid {
        assert!(
            matches!(
                Connection::normalize_domain(input),
                Err(ConfigError::InvalidDomain { .. })
            ),
            "{input}: {:?}",
            Connection::normalize_domain(input)
        );
    }
    let msg = Connection::normalize_domain("http://acme.coupahost.com")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("https://"), "{msg}");
}

#[test]
fn connection_new_normalizes_and_requires_a_client_id() {
    let c = Connection::new(
        "acme.coupahost.com/user/home",
        " id ",
        SecretString::from("x"),
    )
    .unwrap();
    assert_eq!(c.domain, "https://acme.coupahost.com");
    assert_eq!(c.client_id, "id");
    assert!(matches!(
        Connection::new("acme.coupahost.com", "", SecretString::from("x")),
        Err(ConfigError::MissingClientId)
    ));
}
