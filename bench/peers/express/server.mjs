// The express-session peer: express with express-session over connect-redis (node-redis),
// as their documentation sets them up, one Node process.
//
//   GET  /healthz  unauthenticated, {"status":"ok"}
//   POST /login    puts a user id in a new session (sets the connect.sid cookie), no password
//   GET  /me       reads the user id from the session: 200 with it, or 401
//
// Listens on PEER_ADDR (default 127.0.0.1:18602); Redis at REDIS_URL (default
// redis://127.0.0.1:6379).
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";

const [host, port] = (process.env.PEER_ADDR ?? "127.0.0.1:18602").split(":");
const client = createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
await client.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: "peer-express:" }),
    secret: "a benchmark secret, not used for anything else",
    resave: false,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: "lax" },
  }),
);
app.get("/healthz", (req, res) => res.json({ status: "ok" }));
app.post("/login", (req, res) => {
  req.session.userId = "user-8412";
  res.status(204).end();
});
app.get("/me", (req, res) => {
  if (req.session.userId) {
    res.json({ id: req.session.userId });
  } else {
    res.status(401).end();
  }
});
app.listen(Number(port), host, () => {
  console.log(`express-session peer listening on http://${host}:${port}`);
});
