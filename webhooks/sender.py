"""One HTTP POST to a checked target (``webhooks.guard.Target``): to its checked address,
with the URL's host in the Host header and, over TLS, in the certificate check; no
redirects, no retries, a time limit, and at most ``RESPONSE_BYTES`` of the answer read."""

import urllib3

from webhooks.guard import Target

RESPONSE_BYTES = 4096
USER_AGENT = "LogiTrack-Webhooks/1.0"


def _pool(target: Target, timeout: float) -> urllib3.HTTPConnectionPool:
    limit = urllib3.Timeout(total=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=limit,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=limit, retries=False)


def post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """The receiver's status code. Raises ``urllib3.exceptions.HTTPError`` when there is
    none (refused, timed out, TLS failed)."""
    with _pool(target, timeout) as pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Host": target.host_header,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            response.read(RESPONSE_BYTES)
        finally:
            response.close()
        return response.status
