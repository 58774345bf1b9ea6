//! A certificate authority made fresh for one test, as a health network's own CA would be: its
//! certificate (what a practice puts in `source.ca_file`), a server certificate it issued for
//! 127.0.0.1 and localhost (what the FHIR peer serves), and keys for JWT client assertions.
//! Nothing here is in any system trust store, so a desk without `ca_file` must refuse it.

#![allow(dead_code)] // each test file uses a different part of this harness

use std::path::{Path, PathBuf};

use super::peer::PeerOptions;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P384_SHA384,
};

pub struct TestCa {
    dir: tempfile::TempDir,
    ca_pem: String,
}

impl TestCa {
    pub fn new() -> TestCa {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "taskgate test network CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("server key");
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server params");
        server_params
            .distinguished_name
            .push(DnType::CommonName, "fhir.test.invalid");
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("server certificate");

        let ca_pem = ca_cert.pem();
        std::fs::write(dir.path().join("ca.pem"), &ca_pem).expect("write ca.pem");
        std::fs::write(dir.path().join("server.pem"), server_cert.pem()).expect("write cert");
        std::fs::write(
            dir.path().join("server-key.pem"),
            server_key.serialize_pem(),
        )
        .expect("write key");
        TestCa { dir, ca_pem }
    }

    /// Options for a FHIR peer serving HTTPS with this CA's server certificate.
    pub fn https_peer(&self) -> PeerOptions {
        PeerOptions::default().https(
            &self.server_cert_file(),
            &self.server_key_file(),
            &self.ca_pem,
        )
    }

    /// The CA's certificate (PEM), as a practice's IT hands it out.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA's certificate as a file, for `source.ca_file`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn server_cert_file(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    pub fn server_key_file(&self) -> PathBuf {
        self.dir.path().join("server-key.pem")
    }

    /// A new EC P-384 key pair for JWT client assertions (ES384): the private key (PKCS#8 PEM)
    /// for `source.private_key_file` and the public key (SPKI PEM) for the token endpoint,
    /// written under `name`.
    pub fn assertion_key(&self, name: &str) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("P-384 key");
        let private = self.dir.path().join(format!("{name}.pem"));
        let public = self.dir.path().join(format!("{name}.pub.pem"));
        std::fs::write(&private, key.serialize_pem()).expect("write the private key");
        std::fs::write(&public, key.public_key_pem()).expect("write the public key");
        (private, public)
    }

    /// A new RSA key pair for RS384 assertions, as `assertion_key` (ring cannot make RSA keys,
    /// so node's crypto does, which the FHIR peer needs anyway): PKCS#8 private, SPKI public.
    pub fn rsa_assertion_key(&self, name: &str) -> (PathBuf, PathBuf) {
        let private = self.dir.path().join(format!("{name}.pem"));
        let public = self.dir.path().join(format!("{name}.pub.pem"));
        let script = "const c = require('node:crypto'); const fs = require('node:fs'); \
            const k = c.generateKeyPairSync('rsa', { modulusLength: 2048 }); \
            fs.writeFileSync(process.argv[1], k.privateKey.export({ type: 'pkcs8', format: 'pem' })); \
            fs.writeFileSync(process.argv[2], k.publicKey.export({ type: 'spki', format: 'pem' }));";
        let status = std::process::Command::new("node")
            .arg("-e")
            .arg(script)
            .arg(&private)
            .arg(&public)
            .status()
            .expect("run node");
        assert!(status.success(), "node made no RSA key");
        (private, public)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
