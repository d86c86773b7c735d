//! The store's HTTP client, for `intoto store` and `intoto verify
//! --store`: HTTP/1.1 over TCP, or TLS (rustls) trusting the web's roots
//! or a given CA file. Responses are read bounded.

use std::path::Path;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// The largest response read.
pub const MAX_RESPONSE_BYTES: usize = 512 << 20;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server URL is not usable.
    #[error("{0}")]
    Url(String),
    /// The connection failed.
    #[error("cannot reach {url}: {problem}")]
    Connect {
        /// The server.
        url: String,
        /// Why.
        problem: String,
    },
    /// The server answered with an error.
    #[error("the store answered {status}: {message}")]
    Status {
        /// The status.
        status: StatusCode,
        /// The error envelope's message, or the body.
        message: String,
    },
}

/// A store's client.
#[derive(Clone)]
pub struct Client {
    scheme_tls: bool,
    host: String,
    port: u16,
    prefix: String,
    token: Option<String>,
    tls: Option<TlsConnector>,
    url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never printed.
        f.debug_struct("Client")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the store at `url` (`http://` or `https://`), sending
    /// `token` as a bearer token on writes, trusting `ca_file` (PEM) for
    /// TLS when given, else the web's roots.
    ///
    /// # Errors
    ///
    /// [`ClientError::Url`] when the URL or CA file is not usable.
    pub fn new(
        url: &str,
        token: Option<String>,
        ca_file: Option<&Path>,
    ) -> Result<Self, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|e| ClientError::Url(format!("{url}: not a URL: {e}")))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => {
                return Err(ClientError::Url(format!(
                    "{url}: the store URL starts with http:// or https://"
                )));
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| ClientError::Url(format!("{url}: no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let connector = if tls {
            let mut roots = RootCertStore::empty();
            match ca_file {
                Some(path) => {
                    let pem = intoto::fs::read(path, 1 << 20)
                        .map_err(|e| ClientError::Url(intoto::verify::error_chain(&e)))?;
                    for cert in CertificateDer::pem_slice_iter(&pem) {
                        let cert =
                            cert.map_err(|e| ClientError::Url(format!("{}: {e}", path.display())))?;
                        roots
                            .add(cert)
                            .map_err(|e| ClientError::Url(format!("{}: {e}", path.display())))?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| ClientError::Url(format!("TLS: {e}")))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(TlsConnector::from(Arc::new(config)))
        } else {
            None
        };
        Ok(Self {
            scheme_tls: tls,
            host,
            port,
            prefix,
            token,
            tls: connector,
            url: url.to_owned(),
        })
    }

    /// Sends one request and reads the answer: the status and body. An
    /// error status is an error, with the envelope's message.
    ///
    /// # Errors
    ///
    /// [`ClientError`] when the store cannot be reached or answers an error.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Vec<u8>), ClientError> {
        let connect = |problem: String| ClientError::Connect {
            url: self.url.clone(),
            problem,
        };
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.prefix))
            .header(hyper::header::HOST, format!("{}:{}", self.host, self.port))
            .header(
                hyper::header::USER_AGENT,
                concat!("intoto/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(ct) = content_type {
            builder = builder.header(hyper::header::CONTENT_TYPE, ct);
        }
        if let Some(token) = &self.token {
            builder = builder.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| connect(e.to_string()))?;
        let response = match (&self.tls, self.scheme_tls) {
            (Some(tls), true) => {
                let name =
                    ServerName::try_from(self.host.clone()).map_err(|e| connect(e.to_string()))?;
                let stream = tls
                    .connect(name, tcp)
                    .await
                    .map_err(|e| connect(format!("TLS: {e}")))?;
                exchange(TokioIo::new(stream), request).await
            }
            _ => exchange(TokioIo::new(tcp), request).await,
        }
        .map_err(connect)?;
        let status = response.0;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&response.1)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&response.1)
                        .chars()
                        .take(500)
                        .collect()
                });
            return Err(ClientError::Status { status, message });
        }
        Ok(response)
    }

    /// Uploads `bytes` (`application/json` for one document,
    /// `application/jsonl` for a bundle) and returns the answer.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<serde_json::Value, ClientError> {
        let (_, body) = self
            .send(Method::POST, "/v1/attestations", Some(content_type), bytes)
            .await?;
        json(&body)
    }

    /// `GET` of a JSON answer.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn get_json(&self, path_and_query: &str) -> Result<serde_json::Value, ClientError> {
        let (_, body) = self
            .send(Method::GET, path_and_query, None, Vec::new())
            .await?;
        json(&body)
    }

    /// The evidence for `subject` (`ALG:HEX`): each document's metadata
    /// and exact bytes.
    ///
    /// # Errors
    ///
    /// [`ClientError`].
    pub async fn evidence(
        &self,
        subject: &str,
    ) -> Result<(Vec<(serde_json::Value, Vec<u8>)>, bool), ClientError> {
        let answer = self
            .get_json(&format!("/v1/evidence?subject={}", encode_query(subject)))
            .await?;
        let bad = |what: &str| ClientError::Status {
            status: StatusCode::OK,
            message: format!("the evidence answer is malformed: {what}"),
        };
        let mut out = Vec::new();
        for item in answer["attestations"]
            .as_array()
            .ok_or_else(|| bad("no attestations"))?
        {
            let bytes = item["bytes"]
                .as_str()
                .and_then(|b| intoto::model::envelope::decode_base64(b).ok())
                .ok_or_else(|| bad("bytes"))?;
            out.push((item["meta"].clone(), bytes));
        }
        Ok((out, answer["truncated"].as_bool().unwrap_or(false)))
    }
}

async fn exchange<S>(
    io: TokioIo<S>,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, Vec<u8>), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    Ok((status, body.to_vec()))
}

fn json(body: &[u8]) -> Result<serde_json::Value, ClientError> {
    serde_json::from_slice(body).map_err(|e| ClientError::Status {
        status: StatusCode::OK,
        message: format!("the answer is not JSON: {e}"),
    })
}

/// Percent-encodes a query value.
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
