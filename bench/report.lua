-- wrk script: prints one JSON line with the latency percentiles (microseconds) and the error counts.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'JSON{"requests":%d,"seconds":%.3f,"p50":%d,"p95":%d,"p99":%d,"max":%d,"errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors, summary.errors.status))
end
