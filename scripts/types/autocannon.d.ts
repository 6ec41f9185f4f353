// The few fields of autocannon's result the scrape benchmark reads (it ships no types).
declare module 'autocannon' {
  interface Result {
    requests: { average: number };
    throughput: { average: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
  }
  function autocannon(opts: Record<string, unknown>): Promise<Result>;
  export default autocannon;
}
