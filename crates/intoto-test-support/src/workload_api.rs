//! A SPIFFE Workload API for tests: `SpiffeWorkloadAPI/FetchX509SVID` over
//! a Unix socket, serving one X509-SVID, requiring the
//! `workload.spiffe.io: true` header as agents do. The messages are
//! written here with prost (field numbers of SPIFFE's `workload.proto`);
//! the service is tonic's server-streaming handler.

#![allow(clippy::expect_used)] // Test setup: a fixture that cannot be made fails the test.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, StreamExt as _};
use tokio::net::UnixListener;
use tokio::sync::watch;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::{Grpc, ServerStreamingService};
use tonic_prost::ProstCodec;

/// `message X509SVIDRequest {}`
#[derive(Clone, PartialEq, Eq, ::prost::Message)]
pub struct X509SvidRequest {}

/// `message X509SVIDResponse`
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct X509SvidResponse {
    /// `repeated X509SVID svids = 1;` (the first is the default SVID)
    #[prost(message, repeated, tag = "1")]
    pub svids: Vec<X509Svid>,
    /// `repeated bytes crl = 2;`
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub crl: Vec<Vec<u8>>,
    /// `map<string, bytes> federated_bundles = 3;`
    #[prost(map = "string, bytes", tag = "3")]
    pub federated_bundles: HashMap<String, Vec<u8>>,
}

/// `message X509SVID`
#[derive(Clone, PartialEq, Eq, ::prost::Message)]
pub struct X509Svid {
    /// `string spiffe_id = 1;`
    #[prost(string, tag = "1")]
    pub spiffe_id: String,
    /// `bytes x509_svid = 2;` concatenated DER certificates, leaf first
    #[prost(bytes = "vec", tag = "2")]
    pub x509_svid: Vec<u8>,
    /// `bytes x509_svid_key = 3;` PKCS#8 DER
    #[prost(bytes = "vec", tag = "3")]
    pub x509_svid_key: Vec<u8>,
    /// `bytes bundle = 4;` concatenated DER roots of the trust domain
    #[prost(bytes = "vec", tag = "4")]
    pub bundle: Vec<u8>,
    /// `string hint = 5;`
    #[prost(string, tag = "5")]
    pub hint: String,
}

const FETCH_X509_SVID: &str = "/SpiffeWorkloadAPI/FetchX509SVID";

/// A Workload API serving on a Unix socket until dropped.
pub struct WorkloadApi {
    path: PathBuf,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl WorkloadApi {
    /// Serves one SVID: `chain` (DER, leaf first) with its PKCS#8 `key`,
    /// for `spiffe_id`, and the trust domain's `bundle` (DER roots).
    pub fn start(
        socket: &Path,
        spiffe_id: &str,
        chain: &[Vec<u8>],
        key: &[u8],
        bundle: &[Vec<u8>],
    ) -> Self {
        let response = X509SvidResponse {
            svids: vec![X509Svid {
                spiffe_id: spiffe_id.to_owned(),
                x509_svid: chain.concat(),
                x509_svid_key: key.to_vec(),
                bundle: bundle.concat(),
                hint: String::new(),
            }],
            crl: Vec::new(),
            federated_bundles: HashMap::new(),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (shutdown, mut stop) = watch::channel(false);
        let service = Service {
            response: Arc::new(response),
            shutdown: stop.clone(),
        };
        let listener = runtime
            .block_on(async { UnixListener::bind(socket) })
            .expect("bind the Workload API socket");
        runtime.spawn(
            tonic::transport::Server::builder().serve_with_incoming_shutdown(
                service,
                UnixListenerStream::new(listener),
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            ),
        );
        Self {
            path: socket.to_owned(),
            shutdown,
            runtime: Some(runtime),
        }
    }

    /// A socket that accepts connections and never answers.
    pub fn silent(socket: &Path) -> std::os::unix::net::UnixListener {
        std::os::unix::net::UnixListener::bind(socket).expect("bind")
    }
}

impl Drop for WorkloadApi {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Clone)]
struct Service {
    response: Arc<X509SvidResponse>,
    shutdown: watch::Receiver<bool>,
}

impl tonic::server::NamedService for Service {
    const NAME: &'static str = "SpiffeWorkloadAPI";
}

/// Exactly one `workload.spiffe.io` value, equal to `true`.
fn has_security_header(headers: &http::HeaderMap) -> bool {
    let mut values = headers.get_all("workload.spiffe.io").iter();
    matches!((values.next(), values.next()), (Some(v), None) if v == "true")
}

impl tonic::codegen::Service<http::Request<Body>> for Service {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            if !has_security_header(req.headers()) {
                return Ok(
                    Status::invalid_argument("security header missing from request").into_http(),
                );
            }
            if req.uri().path() != FETCH_X509_SVID {
                return Ok(Status::unimplemented(req.uri().path().to_owned()).into_http());
            }
            let mut grpc = Grpc::new(ProstCodec::<X509SvidResponse, X509SvidRequest>::default());
            Ok(grpc.server_streaming(Fetch(this), req).await)
        })
    }
}

struct Fetch(Service);

impl ServerStreamingService<X509SvidRequest> for Fetch {
    type Response = X509SvidResponse;
    type ResponseStream = BoxStream<'static, Result<X509SvidResponse, Status>>;
    type Future = Ready<Result<tonic::Response<Self::ResponseStream>, Status>>;

    fn call(&mut self, _request: tonic::Request<X509SvidRequest>) -> Self::Future {
        let first = stream::once(ready(Ok((*self.0.response).clone())));
        // Held open as an agent holds it between rotations.
        let mut shutdown = self.0.shutdown.clone();
        let hold = stream::once(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .filter_map(|()| ready(None::<Result<X509SvidResponse, Status>>));
        ready(Ok(tonic::Response::new(first.chain(hold).boxed())))
    }
}
