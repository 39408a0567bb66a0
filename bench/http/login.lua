-- POST /v1/login with the body in LOGIN_BODY (bench/http/login.sh sets it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("LOGIN_BODY")
