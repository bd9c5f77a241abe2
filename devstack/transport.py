"""A `requests`-shaped client over chalice's test client, for code that calls
the API over HTTP (the sandbox's and a runner's lease reporter) when a test or
a benchmark runs the app in-process: the real routes answer, without sockets."""
import json


class ChaliceTransport:
    """A `requests`-shaped client over chalice's test client, for code that
    calls the API over HTTP (the sandbox's and a runner's lease reporter) when
    the app runs in-process."""

    class Response:
        def __init__(self, resp):
            self.status_code, self.content = resp.status_code, resp.body or b""
            self.text = self.content.decode()

        def json(self):
            return json.loads(self.text)

    def __init__(self, client):
        self.client, self.calls = client, []

    def request(self, method, url, json=None, data=None, params=None, headers=None, timeout=None):
        import json as _json
        from urllib.parse import urlencode, urlsplit
        parts = urlsplit(url)
        path = parts.path + (f"?{urlencode(params, doseq=True)}" if params else "")
        body = data if data is not None else (_json.dumps(json).encode() if json is not None else b"")
        self.calls.append((method, parts.path))
        return self.Response(self.client.http.request(method, path, headers=headers or {}, body=body))

    def post(self, url, **kw):
        return self.request("POST", url, **kw)
