//! The load generator: keep-alive HTTP/1 connections over loopback, each a task that sends
//! one request, waits for the whole answer, and sends the next, for a fixed time after an
//! unreported warm-up. The connections are spread over a few OS threads, each with its own
//! single-threaded tokio runtime and hyper's low-level client connection, so the generator
//! costs little CPU beside the server it measures (the same shape as wrk's threads).
//!
//! A request counts if its answer was complete within the measured time (after the
//! warm-up, before the end), as wrk counts: the warm-up has filled the pipeline, so this
//! is the server's throughput even for requests slower than the run (a login waiting a
//! second for a hashing slot). A 2xx is a success (its latency recorded), anything else a
//! failure (its status counted), as is a connection error. A connection that breaks
//! reconnects.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::latency::Latencies;
use super::progress::Progress;
use super::route::Recipe;
use super::stopwatch::{nanos, now};
use crate::failure::Failure;

/// Where and how long to drive.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The server's socket.
    pub addr: SocketAddr,
    /// The `Host` header.
    pub host: HeaderValue,
    /// OS threads of the generator.
    pub threads: usize,
    /// Driven but not reported, first.
    pub warmup: Duration,
    /// Measured.
    pub duration: Duration,
}

/// Connections that all send one recipe.
#[derive(Debug, Clone)]
pub struct Group {
    /// The request.
    pub recipe: Arc<Recipe>,
    /// How many connections.
    pub connections: usize,
    /// Each connection's first value of the recipe's rotating cookie, by connection.
    pub cookies: Vec<String>,
}

/// What one group's connections measured together.
#[derive(Debug, Default)]
pub struct Outcome {
    /// 2xx answers.
    pub ok: u64,
    /// Answers that were not 2xx, by status.
    pub failed_statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused, reset, closed).
    pub errors: u64,
    /// The first connection error seen, warm-up included, for the message.
    pub first_error: Option<String>,
    /// Latencies of the 2xx answers.
    pub latencies: Latencies,
}

impl Outcome {
    /// Requests that did not succeed.
    pub fn failures(&self) -> u64 {
        self.failed_statuses.values().sum::<u64>() + self.errors
    }

    fn absorb(&mut self, other: Outcome) {
        self.ok += other.ok;
        for (status, count) in other.failed_statuses {
            *self.failed_statuses.entry(status).or_default() += count;
        }
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies.merge(other.latencies);
    }
}

/// The instants every connection works to.
#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
}

impl Window {
    /// Whether a request answered at `done` is reported.
    fn counts(&self, done: Instant) -> bool {
        done >= self.measure_from && done <= self.end
    }
}

/// Drives every group at once for the plan's warm-up and duration; one outcome per group.
pub async fn run(
    plan: &Plan,
    groups: &[Group],
    progress: &Progress,
) -> Result<Vec<Outcome>, Failure> {
    for group in groups {
        // A recipe that cannot make a request fails here, not once per request.
        request(
            plan,
            &group.recipe,
            group.cookies.first().map(String::as_str),
        )?;
    }
    let total: usize = groups.iter().map(|group| group.connections).sum();
    let threads = plan.threads.clamp(1, total.max(1));
    let started = now();
    let window = Window {
        measure_from: started + plan.warmup,
        end: started + plan.warmup + plan.duration,
    };
    let mut assignments: Vec<Vec<(usize, Option<String>)>> = vec![Vec::new(); threads];
    let mut next = 0;
    for (index, group) in groups.iter().enumerate() {
        for connection in 0..group.connections {
            let cookie = group.cookies.get(connection).cloned();
            assignments[next % threads].push((index, cookie));
            next += 1;
        }
    }
    let mut counters = Vec::new();
    let mut receivers = Vec::new();
    for assigned in assignments {
        let counter = Arc::new(AtomicU64::new(0));
        counters.push(counter.clone());
        let (send, receive) = tokio::sync::oneshot::channel();
        receivers.push(receive);
        let plan = plan.clone();
        let recipes: Vec<Arc<Recipe>> = groups.iter().map(|group| group.recipe.clone()).collect();
        std::thread::Builder::new()
            .name("keycard-bench-load".into())
            .spawn(move || {
                let _ = send.send(drive_thread(&plan, &recipes, assigned, window, &counter));
            })
            .map_err(|e| Failure::Input(format!("cannot start a load thread: {e}")))?;
    }
    progress
        .follow(started, plan.warmup, plan.duration, &counters)
        .await;
    let mut outcomes: Vec<Outcome> = groups.iter().map(|_| Outcome::default()).collect();
    for receiver in receivers {
        let per_group = receiver
            .await
            .map_err(|_| Failure::Input("a load thread stopped without a result".into()))??;
        for (outcome, part) in outcomes.iter_mut().zip(per_group) {
            outcome.absorb(part);
        }
    }
    Ok(outcomes)
}

/// One OS thread: its connections on a single-threaded runtime.
fn drive_thread(
    plan: &Plan,
    recipes: &[Arc<Recipe>],
    assigned: Vec<(usize, Option<String>)>,
    window: Window,
    counter: &Arc<AtomicU64>,
) -> Result<Vec<Outcome>, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the load runtime: {e}")))?;
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for (group, cookie) in assigned {
            let (plan, recipe, counter) = (plan.clone(), recipes[group].clone(), counter.clone());
            tasks.push((
                group,
                tokio::spawn(
                    async move { connection(&plan, &recipe, cookie, window, &counter).await },
                ),
            ));
        }
        let mut outcomes: Vec<Outcome> = recipes.iter().map(|_| Outcome::default()).collect();
        for (group, task) in tasks {
            let outcome = task
                .await
                .map_err(|e| Failure::Input(format!("a load connection panicked: {e}")))?;
            outcomes[group].absorb(outcome);
        }
        Ok(outcomes)
    })
}

/// One keep-alive connection, request after request, until the window ends.
async fn connection(
    plan: &Plan,
    recipe: &Recipe,
    mut cookie: Option<String>,
    window: Window,
    counter: &AtomicU64,
) -> Outcome {
    let mut outcome = Outcome {
        latencies: Latencies::with_capacity(1 << 14),
        ..Outcome::default()
    };
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    loop {
        let began = now();
        if began >= window.end {
            return outcome;
        }
        let connected = match sender.as_mut() {
            Some(connected) => connected,
            None => match connect(plan.addr).await {
                Ok(connected) => sender.insert(connected),
                Err(e) => {
                    note_error(&mut outcome, window.counts(now()), e);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let request = match request(plan, recipe, cookie.as_deref()) {
            Ok(request) => request,
            Err(e) => {
                note_error(&mut outcome, true, e.to_string());
                return outcome;
            }
        };
        let answered = async {
            connected.ready().await?;
            let response = connected.send_request(request).await?;
            let status = response.status();
            let rotated = recipe
                .rotating_cookie
                .and_then(|name| set_cookie(response.headers(), name));
            response.into_body().collect().await?;
            Ok::<_, hyper::Error>((status, rotated))
        }
        .await;
        let done = now();
        match answered {
            Ok((status, rotated)) => {
                if let Some(rotated) = rotated {
                    cookie = Some(rotated);
                }
                if !window.counts(done) {
                    continue;
                }
                if status.is_success() {
                    outcome.ok += 1;
                    outcome.latencies.record(nanos(done - began));
                    counter.fetch_add(1, Ordering::Relaxed);
                } else {
                    *outcome.failed_statuses.entry(status.as_u16()).or_default() += 1;
                }
            }
            Err(e) => {
                sender = None;
                note_error(&mut outcome, window.counts(done), e.to_string());
            }
        }
    }
}

fn note_error(outcome: &mut Outcome, counted: bool, error: String) {
    if counted {
        outcome.errors += 1;
    }
    if outcome.first_error.is_none() {
        outcome.first_error = Some(error);
    }
}

/// A fresh keep-alive connection; its driver runs as a task beside the requests.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP/1 handshake with {addr}: {e}"))?;
    tokio::spawn(driver);
    Ok(sender)
}

/// The recipe as a request, with the connection's current cookie.
fn request(
    plan: &Plan,
    recipe: &Recipe,
    cookie: Option<&str>,
) -> Result<Request<Full<Bytes>>, Failure> {
    let mut builder = Request::builder()
        .method(recipe.method.clone())
        .uri(recipe.path.as_str())
        .header(header::HOST, plan.host.clone());
    for (name, value) in &recipe.headers {
        builder = builder.header(name, value);
    }
    if let (Some(name), Some(value)) = (recipe.rotating_cookie, cookie) {
        builder = builder.header(header::COOKIE, format!("{name}={value}"));
    }
    builder
        .body(Full::new(recipe.body.clone()))
        .map_err(|e| Failure::Input(format!("cannot build the request for {}: {e}", recipe.path)))
}

/// The value of the cookie `name` set by an answer, if it sets one.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| cookie::Cookie::parse(value).ok())
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_cookie_is_read_from_set_cookie() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("other=1; Path=/"),
        );
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "__Secure-keycard_refresh=kc_r_abc; Path=/v1/token; HttpOnly; Secure",
            ),
        );
        assert_eq!(
            set_cookie(&headers, "__Secure-keycard_refresh").as_deref(),
            Some("kc_r_abc")
        );
        assert_eq!(set_cookie(&headers, "missing"), None);
    }
}
