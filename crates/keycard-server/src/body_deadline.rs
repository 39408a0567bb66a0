//! The body deadline: a request's body must arrive whole within `body_read_timeout` of the
//! request reaching the router, or the answer is 408 and the connection is closed.
//!
//! The connection loop bounds how long headers may take (hyper's header read timeout) and
//! how long a connection may be silent (`connections/idle.rs`), but not a body sent a byte
//! at a time, each byte just inside the idle timeout: such a client would hold its
//! connection for weeks (64 KiB of body at one byte a minute). tower-http's `RequestBodyTimeoutLayer` restarts its timer at every
//! frame, which is exactly what that client exploits; this deadline is for the whole body.
//!
//! A request whose body is known to be empty (every `GET`) is passed through untouched. For
//! the others, the body is wrapped: the timer is created only when a read has to wait, so a
//! body that arrived with its headers costs no timer. When the deadline passes, the read
//! fails (the handler's extractor gives up) and the answer is replaced by 408.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

use crate::error::WebError;

/// Adds the body deadline (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadlineLayer {
    timeout: Duration,
}

impl BodyDeadlineLayer {
    /// A body must arrive within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> Layer<S> for BodyDeadlineLayer {
    type Service = BodyDeadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyDeadline {
            inner,
            timeout: self.timeout,
        }
    }
}

/// The service of [`BodyDeadlineLayer`].
#[derive(Clone, Debug)]
pub struct BodyDeadline<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Service<Request<Body>> for BodyDeadline<S>
where
    S: Service<Request<Body>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Deadlined<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if request.body().is_end_stream() {
            return Deadlined {
                future: self.inner.call(request),
                expired: None,
            };
        }
        let expired = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + self.timeout;
        let request = request.map(|body| {
            Body::new(TimedBody {
                inner: body,
                deadline,
                timer: None,
                expired: Arc::clone(&expired),
            })
        });
        Deadlined {
            future: self.inner.call(request),
            expired: Some(expired),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer, replaced by 408 if its body missed the deadline.
    #[derive(Debug)]
    pub struct Deadlined<F> {
        #[pin]
        future: F,
        expired: Option<Arc<AtomicBool>>,
    }
}

impl<F, E> Future for Deadlined<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = ready!(this.future.poll(cx));
        let missed = this
            .expired
            .as_ref()
            .is_some_and(|expired| expired.load(Ordering::Acquire));
        if !missed {
            return Poll::Ready(answer);
        }
        let mut response = WebError::RequestTimeout.into_response();
        // The rest of the body is still on the wire: the connection cannot carry another
        // request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        Poll::Ready(Ok(response))
    }
}

/// The body, failing once the deadline has passed.
struct TimedBody {
    inner: Body,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

/// The error a late body ends with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body read timeout")]
struct BodyTimedOut;

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        self.expired.store(true, Ordering::Release);
        Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::post;
    use tower::ServiceExt as _;

    use super::*;

    fn app(timeout: Duration) -> Router {
        Router::new()
            .route(
                "/",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .layer(BodyDeadlineLayer::new(timeout))
    }

    /// A body of `chunks` bytes, one every `every`.
    fn trickle(every: Duration, chunks: usize) -> Body {
        let bytes = (0..chunks).map(|_| Ok::<_, std::io::Error>(Bytes::from_static(b"x")));
        Body::from_stream(tokio_stream::StreamExt::throttle(
            tokio_stream::iter(bytes),
            every,
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_arrives_in_time_is_read() {
        let request = Request::post("/")
            .body(trickle(Duration::from_millis(100), 5))
            .unwrap();
        let response = app(Duration::from_secs(1)).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickled_body_is_cut_at_the_deadline_whatever_its_pace() {
        // Each byte well inside any per-frame timeout; the whole would take for ever.
        let started = Instant::now();
        let request = Request::post("/")
            .body(trickle(Duration::from_millis(100), usize::MAX))
            .unwrap();
        let response = app(Duration::from_secs(2)).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers()[header::CONNECTION], "close");
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_handler_is_not_a_slow_body() {
        let app = Router::new()
            .route(
                "/",
                post(|body: Bytes| async move {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    body.len().to_string()
                }),
            )
            .layer(BodyDeadlineLayer::new(Duration::from_secs(1)));
        for body in [Body::empty(), Body::from("{}")] {
            let request = Request::post("/").body(body).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    }
}
