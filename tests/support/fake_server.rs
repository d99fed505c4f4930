//! A fake CPP + Entra (+ OIDC, + product ingestion) server on loopback for the tests, written on
//! raw TCP so that it can do what a well-behaved server never does: reset a connection, answer
//! garbage, stall. Every request is recorded; a request no route expects is recorded as
//! unexpected and answered 500, and the test helpers fail on it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The form fields of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect()
    }

    pub fn query_pairs(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// `METHOD /path?query`, for messages.
    pub fn line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Closes the connection with a TCP reset after reading the request.
    Reset,
    /// Closes the connection without answering.
    Close,
    /// Writes these bytes as they are and closes.
    Raw(Vec<u8>),
    Delay(Duration, Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn text(status: u16, content_type: &str, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    pub fn after(self, delay: Duration) -> Reply {
        Reply::Delay(delay, Box::new(self))
    }
}

type Responder = Box<dyn FnMut(&Recorded, usize) -> Reply + Send>;

struct Route {
    method: String,
    /// Matches the path exactly, or as a prefix when it ends with `*`.
    path: String,
    responder: Responder,
    calls: usize,
}

impl Route {
    fn matches(&self, request: &Recorded) -> bool {
        self.method == request.method
            && match self.path.strip_suffix('*') {
                Some(prefix) => request.path.starts_with(prefix),
                None => self.path == request.path,
            }
    }
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    requests: Vec<Recorded>,
    unexpected: Vec<String>,
}

pub struct FakeServer {
    address: SocketAddr,
    tls: bool,
    state: Arc<Mutex<State>>,
    // Dropping the runtime stops the server.
    _runtime: tokio::runtime::Runtime,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeServer {
    pub fn start() -> FakeServer {
        Self::start_on(0)
    }

    /// On a given loopback port (0: any free one).
    pub fn start_on(port: u16) -> FakeServer {
        Self::start_with(port, None)
    }

    /// Speaking HTTPS with the certificate in `tests/fixtures/tls/server.pem` (127.0.0.1 and
    /// localhost), which only the test CA `tests/fixtures/tls/ca.pem` vouches for.
    pub fn start_tls() -> FakeServer {
        let fixture =
            |name: &str| format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"));
        let certificates = CertificateDer::pem_file_iter(fixture("server.pem"))
            .expect("server.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("server.pem certificates");
        let key = PrivateKeyDer::from_pem_file(fixture("server-key.pem")).expect("server-key.pem");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .expect("server certificate");
        // This server speaks HTTP/1.1 only; the client offers h2 too.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self::start_with(0, Some(TlsAcceptor::from(Arc::new(config))))
    }

    fn start_with(port: u16, tls: Option<TlsAcceptor>) -> FakeServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let state = Arc::new(Mutex::new(State::default()));
        let listener = runtime
            .block_on(TcpListener::bind(("127.0.0.1", port)))
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let shared = Arc::clone(&state);
        let is_tls = tls.is_some();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&shared);
                match tls.clone() {
                    None => tokio::spawn(serve(stream, state)),
                    // A failed handshake (the client did not trust us) ends the connection.
                    Some(acceptor) => tokio::spawn(async move {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve(stream, state).await;
                        }
                    }),
                };
            }
        });
        FakeServer {
            address,
            tls: is_tls,
            state,
            _runtime: runtime,
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://` when started with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }

    /// Answers `method path` with the replies in order; the last one repeats.
    pub fn route(&self, method: &str, path: &str, replies: Vec<Reply>) -> &Self {
        assert!(!replies.is_empty(), "a route needs at least one reply");
        self.route_fn(method, path, move |_, call| {
            replies[call.min(replies.len() - 1)].clone()
        })
    }

    /// Answers `method path` with a function of the request and the call number (0-based).
    pub fn route_fn(
        &self,
        method: &str,
        path: &str,
        responder: impl FnMut(&Recorded, usize) -> Reply + Send + 'static,
    ) -> &Self {
        let mut state = lock(&self.state);
        // A later route for the same method and path replaces the earlier one.
        state
            .routes
            .retain(|route| !(route.method == method && route.path == path));
        state.routes.push(Route {
            method: method.to_owned(),
            path: path.to_owned(),
            responder: Box::new(responder),
            calls: 0,
        });
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// Requests with this method whose path starts with `path`.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.method == method && request.path.starts_with(path))
            .collect()
    }

    pub fn unexpected(&self) -> Vec<String> {
        lock(&self.state).unexpected.clone()
    }
}

/// A connection the server answers on: plain TCP or TLS over it.
trait Connection: AsyncRead + AsyncWrite + Unpin + Send {
    fn tcp(&self) -> &TcpStream;
}

impl Connection for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Connection for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

async fn serve(mut stream: impl Connection, state: Arc<Mutex<State>>) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let reply = {
            let mut state = lock(&state);
            state.requests.push(request.clone());
            match state
                .routes
                .iter_mut()
                .find(|route| route.matches(&request))
            {
                Some(route) => {
                    let call = route.calls;
                    route.calls += 1;
                    (route.responder)(&request, call)
                }
                None => {
                    state.unexpected.push(request.line());
                    Reply::json(
                        500,
                        serde_json::json!({"error": {"code": "Unexpected", "message": format!("the fake server did not expect {}", request.line())}}),
                    )
                }
            }
        };
        if !send(&mut stream, reply).await {
            return;
        }
    }
}

/// Applies a reply; false when the connection is closed afterwards.
async fn send(stream: &mut impl Connection, mut reply: Reply) -> bool {
    loop {
        match reply {
            Reply::Delay(delay, inner) => {
                tokio::time::sleep(delay).await;
                reply = *inner;
            }
            Reply::Reset => {
                let _ = stream.tcp().set_zero_linger();
                return false;
            }
            Reply::Close => {
                let _ = stream.shutdown().await;
                return false;
            }
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return false;
            }
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (name, value) in &headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                return stream.write_all(&bytes).await.is_ok();
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn read_request(stream: &mut impl Connection, buffer: &mut Vec<u8>) -> Option<Recorded> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(head_len)) = parsed.parse(buffer) {
            let target = parsed.path.unwrap_or("/").to_owned();
            let (path, query) = match target.split_once('?') {
                Some((path, query)) => (path.to_owned(), query.to_owned()),
                None => (target, String::new()),
            };
            let headers: Vec<(String, String)> = parsed
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            let method = parsed.method.unwrap_or("").to_owned();
            let length = headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buffer.len() < head_len + length {
                let mut chunk = [0u8; 8192];
                let read = stream.read(&mut chunk).await.ok()?;
                if read == 0 {
                    return None;
                }
                buffer.extend_from_slice(&chunk[..read]);
            }
            let body = buffer[head_len..head_len + length].to_vec();
            buffer.drain(..head_len + length);
            return Some(Recorded {
                method,
                path,
                query,
                headers,
                body,
                at: Instant::now(),
            });
        }
        let mut chunk = [0u8; 8192];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}
