// rate_load: an open-loop HTTP/1.1 load generator that offers a fixed request rate and reports
// the latency distribution, free of coordinated omission.
//
//   rate_load --url https://127.0.0.1:18443/validate/x --body pod.json --rate 10000
//             --duration 15 [--connections 64] [--threads 1] [--warmup 2] [--ca cert.pem]
//
// Why not wrk: wrk is closed-loop. Each connection sends its next request only when the previous
// answer arrived, so while the server stalls, wrk stops asking, and the stall shows up as one slow
// request instead of the hundreds that a real API server would have queued behind it (coordinated
// omission). Here request i is due at start + i / rate, whatever happened before; its latency is
// measured from that due time, not from when a connection was free to send it. A server that
// cannot keep up therefore shows growing latencies and a backlog, not a lower rate at good
// latencies.
//
// `--rate max` measures saturation instead: closed loop, each connection sends its next request
// as soon as the previous answer arrived, and latency counts from the send (wrk's model).
//
// Requests rotate over the given paths (--url's path, then each --path). A non-2xx answer or a
// connection failure counts as an error; failed connections reconnect. With --expect TEXT, a 2xx
// answer whose body lacks TEXT counts as wrong (a soak test's "answered correctly"). Output:
// one line of text, or a JSON object with --json. Exit status 0 unless nothing was measured.
//
// --timeline FILE writes one line per second of the measured run (by due time): the second, the
// requests due in it that were answered, their worst latency and how many took over 10 ms, so
// that a bad tail can be matched with what happened at the time (a soak's reloads, say).
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

// Latencies in microseconds in log-linear buckets: exact below 128 µs, then 64 buckets per power
// of two (< 1.6% relative error) up to about 2^42 µs. Merged across threads at the end.
class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kOctaves = 36;

  void Record(std::int64_t micros) {
    if (micros < 1) micros = 1;
    ++counts_[Index(static_cast<std::uint64_t>(micros))];
    ++total_;
    max_ = std::max(max_, micros);
  }
  void Merge(const Histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }
  std::uint64_t total() const { return total_; }
  std::int64_t max() const { return max_; }
  // The smallest recorded bucket value below which `quantile` of the samples fall.
  double Quantile(double quantile) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(quantile * static_cast<double>(total_)));
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min<double>(UpperBound(i), static_cast<double>(max_));
    }
    return static_cast<double>(max_);
  }

 private:
  static std::size_t Index(std::uint64_t v) {
    if (v < kSub) return v;
    // The shift that brings v into [kSub / 2, kSub): its top 6 bits select the bucket.
    int octave = 63 - __builtin_clzll(v) - kSubBits + 1;
    if (octave >= kOctaves) return kSub * (kOctaves + 1) - 1;
    return static_cast<std::size_t>(octave) * kSub + (v >> octave);
  }
  static double UpperBound(std::size_t index) {
    if (index < kSub) return static_cast<double>(index);
    std::size_t octave = (index - kSub / 2) / kSub;
    std::size_t mantissa = index - octave * kSub;
    return static_cast<double>(((mantissa + 1) << octave) - 1);
  }

  std::array<std::uint64_t, kSub*(kOctaves + 1)> counts_{};
  std::uint64_t total_ = 0;
  std::int64_t max_ = 0;
};

struct Options {
  std::string scheme, host, port;
  std::vector<std::string> paths;
  std::string body;
  std::string ca_file;
  std::string expect;  // every 2xx body must contain it; empty: not checked
  std::string timeline_file;  // per-second figures go there; empty: none
  double rate = 1000;  // 0: as fast as the server answers (closed loop)
  double duration_s = 10;
  double warmup_s = 2;
  int connections = 64;
  int threads = 1;
  bool json = false;
};

// One second of the measured run (requests by due time).
struct Second {
  std::uint64_t answered = 0, over_10ms = 0;
  std::int64_t max_us = 0;
};

// What one thread measured.
struct Tally {
  Histogram latencies;
  std::vector<Second> timeline;  // by second since the end of the warm-up
  std::uint64_t sent = 0, answered = 0, errors = 0, wrong = 0, reconnects = 0;
  std::uint64_t backlog_at_end = 0;  // requests due but never sent: the server fell behind
  // What the errors were: connections that could not be opened (or finish their TLS handshake),
  // exchanges broken before an answer, and answers with a status other than 2xx, by status.
  std::uint64_t connect_failures = 0, broken = 0;
  std::map<unsigned, std::uint64_t> statuses;

  // " (connect 1, broken 2, status 503 x3)" when there were errors, else "".
  std::string ErrorKinds() const {
    if (errors == 0) return "";
    std::string kinds = " (connect " + std::to_string(connect_failures) + ", broken " +
                        std::to_string(broken);
    for (const auto& [status, count] : statuses) {
      kinds += ", status " + std::to_string(status) + " x" + std::to_string(count);
    }
    return kinds + ")";
  }
};

// One thread's share of the load: `rate` requests per second over its connections. The
// schedule is fixed at start; a request waits in `due_` until a connection is free.
class Worker {
 public:
  Worker(const Options& options, double rate, int connections)
      : options_(options),
        rate_(rate),
        tls_(asio::ssl::context::tls_client),
        timer_(io_) {
    if (options_.scheme == "https") {
      if (options_.ca_file.empty()) {
        tls_.set_verify_mode(asio::ssl::verify_none);
      } else {
        tls_.load_verify_file(options_.ca_file);
        tls_.set_verify_mode(asio::ssl::verify_peer);
      }
    }
    // Each path's request, serialized once: a request costs the generator a write, not a
    // serializer run and a copy of the body (in open loop the generator shares the CPU with the
    // server it measures, so its own cost per request lowers what the server can be offered).
    for (const std::string& path : options_.paths) {
      wire_.push_back("POST " + path + " HTTP/1.1\r\nHost: " + options_.host +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(options_.body.size()) + "\r\n\r\n" + options_.body);
    }
    for (int i = 0; i < connections; ++i) connections_.push_back(std::make_unique<Connection>(this));
  }

  void Run() {
    tcp::resolver resolver(io_);
    endpoints_ = resolver.resolve(options_.host, options_.port);
    start_ = Clock::now();
    measure_from_ = start_ + ToDuration(options_.warmup_s);
    end_ = measure_from_ + ToDuration(options_.duration_s);
    for (auto& c : connections_) c->Connect();
    Tick();
    io_.run();
  }

  Tally& tally() { return tally_; }

 private:
  struct Connection;
  struct Pending {
    Clock::time_point due;
    std::size_t path_index;
  };

  static Clock::duration ToDuration(double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  // Moves every request whose due time has come into `due_`, hands them to idle connections and
  // sleeps until the next one is due.
  void Tick() {
    auto now = Clock::now();
    if (now >= end_) {
      Finish();
      return;
    }
    if (closed_loop()) {  // connections send on their own (Idle); wake up at the end
      timer_.expires_at(end_);
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) Tick();
      });
      return;
    }
    // Request i is due at start + i / rate: those with i <= elapsed * rate are due now, and the
    // next one is due after now (waking up any earlier would spin on the 20 µs floor below).
    double elapsed = std::chrono::duration<double>(now - start_).count();
    auto due_count = static_cast<std::uint64_t>(elapsed * rate_) + 1;
    for (; scheduled_ < due_count; ++scheduled_) {
      auto due = start_ + ToDuration(static_cast<double>(scheduled_) / rate_);
      due_.push_back({due, static_cast<std::size_t>(scheduled_ % options_.paths.size())});
    }
    Dispatch();
    auto next = start_ + ToDuration(static_cast<double>(scheduled_) / rate_);
    timer_.expires_at(std::max(next, now + std::chrono::microseconds(20)));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) Tick();
    });
  }

  void Dispatch() {
    while (!due_.empty() && !idle_.empty()) {
      Connection* c = idle_.back();
      idle_.pop_back();
      c->Send(due_.front());
      due_.pop_front();
    }
  }

  void Idle(Connection* c) {
    if (finished_) {
      c->Close();
      return;
    }
    if (closed_loop()) {
      c->Send({Clock::now(), static_cast<std::size_t>(scheduled_++ % options_.paths.size())});
      return;
    }
    idle_.push_back(c);
    Dispatch();
  }

  bool closed_loop() const { return rate_ == 0; }

  void Finish() {
    finished_ = true;
    tally_.backlog_at_end = due_.size();
    // Requests still in flight are abandoned: past the end they are not measured anyway.
    for (auto& c : connections_) c->Close();
    idle_.clear();
  }

  // `status` is the answer's HTTP status, 0 when the exchange broke before one.
  void Completed(const Pending& request, unsigned status, bool right = true) {
    auto now = Clock::now();
    if (request.due < measure_from_ || request.due >= end_) return;
    if (status / 100 != 2) {
      ++tally_.errors;
      if (status == 0) {
        ++tally_.broken;
      } else {
        ++tally_.statuses[status];
      }
      return;
    }
    if (!right) ++tally_.wrong;
    ++tally_.answered;
    const std::int64_t micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now - request.due).count();
    tally_.latencies.Record(micros);
    const auto second = static_cast<std::size_t>(
        std::chrono::duration_cast<std::chrono::seconds>(request.due - measure_from_).count());
    if (tally_.timeline.size() <= second) tally_.timeline.resize(second + 1);
    Second& s = tally_.timeline[second];
    ++s.answered;
    s.over_10ms += micros > 10'000;
    s.max_us = std::max(s.max_us, micros);
  }

  // A keep-alive connection carrying one request at a time.
  struct Connection {
    explicit Connection(Worker* worker) : worker(worker), retry(worker->io_) {}

    void Connect() {
      if (worker->finished_) return;
      boost::system::error_code ignored;
      if (socket) socket->close(ignored);
      if (tls) tls->next_layer().close(ignored);
      socket.reset();
      tls.reset();
      if (worker->options_.scheme == "https") {
        tls = std::make_unique<asio::ssl::stream<tcp::socket>>(worker->io_, worker->tls_);
        SSL_set_tlsext_host_name(tls->native_handle(), worker->options_.host.c_str());
      } else {
        socket = std::make_unique<tcp::socket>(worker->io_);
      }
      asio::async_connect(Lowest(), worker->endpoints_,
                          [this](boost::system::error_code ec, const tcp::endpoint&) {
                            if (ec) return RetryLater();
                            Lowest().set_option(tcp::no_delay(true));
                            if (!tls) return worker->Idle(this);
                            tls->async_handshake(asio::ssl::stream_base::client,
                                                 [this](boost::system::error_code hec) {
                                                   if (hec) return RetryLater();
                                                   worker->Idle(this);
                                                 });
                          });
    }

    void Send(const Pending& next) {
      pending = next;
      in_flight = true;
      auto request = asio::buffer(worker->wire_[next.path_index]);
      ++worker->tally_.sent;
      auto on_written = [this](boost::system::error_code ec, std::size_t) {
        if (ec) return Failed(true);
        response = {};
        auto on_read = [this](boost::system::error_code rec, std::size_t) {
          if (rec) return Failed(true);
          in_flight = false;
          const std::string& expect = worker->options_.expect;
          worker->Completed(pending, response.result_int(),
                            expect.empty() || response.body().find(expect) != std::string::npos);
          if (response.need_eof()) return Reconnect();
          worker->Idle(this);
        };
        if (tls) {
          http::async_read(*tls, buffer, response, on_read);
        } else {
          http::async_read(*socket, buffer, response, on_read);
        }
      };
      if (tls) {
        asio::async_write(*tls, request, on_written);
      } else {
        asio::async_write(*socket, request, on_written);
      }
    }

    // A broken exchange is an error for its request; the connection starts again.
    void Failed(bool had_request) {
      if (worker->finished_) return;
      if (had_request && in_flight) worker->Completed(pending, 0);
      in_flight = false;
      Reconnect();
    }

    // A connection that cannot be opened is retried after a pause, not in a tight loop; the
    // requests it would have carried wait (and their latency grows) meanwhile.
    void RetryLater() {
      if (worker->finished_) return;
      ++worker->tally_.errors;
      ++worker->tally_.connect_failures;
      retry.expires_after(std::chrono::milliseconds(50));
      retry.async_wait([this](boost::system::error_code ec) {
        if (!ec) Reconnect();
      });
    }

    void Reconnect() {
      ++worker->tally_.reconnects;
      buffer.clear();
      Connect();
    }

    void Close() {
      boost::system::error_code ignored;
      retry.cancel();
      if (socket || tls) Lowest().close(ignored);
    }

    tcp::socket& Lowest() { return tls ? tls->next_layer() : *socket; }

    Worker* worker;
    asio::steady_timer retry;
    std::unique_ptr<tcp::socket> socket;
    std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    Pending pending{};
    bool in_flight = false;
  };

  const Options& options_;
  double rate_;
  asio::io_context io_;
  asio::ssl::context tls_;
  asio::steady_timer timer_;
  tcp::resolver::results_type endpoints_;
  std::vector<std::string> wire_;  // per path: the whole request as sent
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<Pending> due_;
  std::uint64_t scheduled_ = 0;
  Clock::time_point start_, measure_from_, end_;
  bool finished_ = false;
  Tally tally_;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "rate_load: " << problem << "\n"
            << "usage: rate_load --url http(s)://host:port/path --body FILE --rate REQ_PER_S|max\n"
               "                 [--duration S] [--warmup S] [--connections N] [--threads N]\n"
               "                 [--path /other ...] [--ca PEM] [--expect TEXT] [--json]\n"
               "                 [--timeline FILE]\n";
  std::exit(2);
}

double Number(std::string_view flag, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value > 0)) {
    Usage(std::string(flag) + " wants a positive number, got \"" + std::string(text) + "\"");
  }
  return value;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::string url, body_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= argc) Usage(std::string(flag) + " needs a value");
    std::string_view value = argv[++i];
    if (flag == "--url") url = value;
    else if (flag == "--path") o.paths.emplace_back(value);
    else if (flag == "--body") body_file = value;
    else if (flag == "--ca") o.ca_file = value;
    else if (flag == "--expect") o.expect = value;
    else if (flag == "--timeline") o.timeline_file = value;
    else if (flag == "--rate") o.rate = value == "max" ? 0 : Number(flag, value);
    else if (flag == "--duration") o.duration_s = Number(flag, value);
    else if (flag == "--warmup") o.warmup_s = value == "0" ? 0 : Number(flag, value);
    else if (flag == "--connections") o.connections = static_cast<int>(Number(flag, value));
    else if (flag == "--threads") o.threads = static_cast<int>(Number(flag, value));
    else Usage("unknown flag " + std::string(flag));
  }
  if (url.empty() || body_file.empty()) Usage("--url and --body are required");
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) Usage("--url needs a scheme");
  o.scheme = url.substr(0, scheme_end);
  if (o.scheme != "http" && o.scheme != "https") Usage("--url: http or https only");
  auto authority_start = scheme_end + 3;
  auto path_start = url.find('/', authority_start);
  std::string authority = url.substr(authority_start, path_start - authority_start);
  auto colon = authority.rfind(':');
  o.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  o.port = colon == std::string::npos ? (o.scheme == "https" ? "443" : "80")
                                      : authority.substr(colon + 1);
  o.paths.insert(o.paths.begin(), path_start == std::string::npos ? "/" : url.substr(path_start));
  std::ifstream in(body_file, std::ios::binary);
  if (!in) Usage("cannot read " + body_file);
  std::ostringstream body;
  body << in.rdbuf();
  o.body = body.str();
  if (o.connections < o.threads) Usage("--connections must be at least --threads");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseOptions(argc, argv);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < options.threads; ++t) {
    int share = options.connections / options.threads + (t < options.connections % options.threads);
    workers.push_back(std::make_unique<Worker>(options, options.rate / options.threads, share));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  for (auto& t : threads) t.join();

  Tally all;
  for (auto& w : workers) {
    all.latencies.Merge(w->tally().latencies);
    all.sent += w->tally().sent;
    all.answered += w->tally().answered;
    all.errors += w->tally().errors;
    all.connect_failures += w->tally().connect_failures;
    all.broken += w->tally().broken;
    for (const auto& [status, count] : w->tally().statuses) all.statuses[status] += count;
    all.wrong += w->tally().wrong;
    all.reconnects += w->tally().reconnects;
    all.backlog_at_end += w->tally().backlog_at_end;
    const std::vector<Second>& seconds = w->tally().timeline;
    if (all.timeline.size() < seconds.size()) all.timeline.resize(seconds.size());
    for (std::size_t i = 0; i < seconds.size(); ++i) {
      all.timeline[i].answered += seconds[i].answered;
      all.timeline[i].over_10ms += seconds[i].over_10ms;
      all.timeline[i].max_us = std::max(all.timeline[i].max_us, seconds[i].max_us);
    }
  }
  if (!options.timeline_file.empty()) {
    std::ofstream timeline(options.timeline_file);
    timeline << "second\tanswered\tover_10ms\tmax_ms\n";
    for (std::size_t i = 0; i < all.timeline.size(); ++i) {
      timeline << i << '\t' << all.timeline[i].answered << '\t' << all.timeline[i].over_10ms
               << '\t' << static_cast<double>(all.timeline[i].max_us) / 1000.0 << '\n';
    }
    if (!timeline) {
      std::cerr << "rate_load: cannot write " << options.timeline_file << "\n";
      return 1;
    }
  }
  double achieved = static_cast<double>(all.answered) / options.duration_s;
  auto ms = [&](double q) { return all.latencies.Quantile(q) / 1000.0; };
  char line[512];
  if (options.json) {
    std::snprintf(line, sizeof line,
                  "{\"offered_rps\":%.0f,\"achieved_rps\":%.0f,\"answered\":%llu,\"errors\":%llu,"
                  "\"wrong\":%llu,\"backlog_at_end\":%llu,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                  "\"p999_ms\":%.3f,\"max_ms\":%.3f}",
                  options.rate, achieved, static_cast<unsigned long long>(all.answered),
                  static_cast<unsigned long long>(all.errors),
                  static_cast<unsigned long long>(all.wrong),
                  static_cast<unsigned long long>(all.backlog_at_end), ms(0.5), ms(0.9), ms(0.99),
                  ms(0.999), static_cast<double>(all.latencies.max()) / 1000.0);
  } else {
    std::snprintf(line, sizeof line,
                  "offered %s req/s  achieved %.0f req/s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  "
                  "p99.9 %.3f ms  max %.3f ms  errors %llu  wrong %llu  backlog %llu",
                  options.rate == 0 ? "max" : std::to_string(std::lround(options.rate)).c_str(),
                  achieved, ms(0.5), ms(0.9), ms(0.99), ms(0.999),
                  static_cast<double>(all.latencies.max()) / 1000.0,
                  static_cast<unsigned long long>(all.errors),
                  static_cast<unsigned long long>(all.wrong),
                  static_cast<unsigned long long>(all.backlog_at_end));
  }
  std::cout << line << (options.json ? "" : all.ErrorKinds()) << "\n";
  return all.latencies.total() == 0 ? 1 : 0;
}
