// Batch throughput of `cytopipe run` with the Fig. 3 strategy vs just reading the same files.
//   bench_pipeline_batch [--benchmark_filter=...]
// Environment: CYTOPIPE_BENCH_FILES (default 100), CYTOPIPE_BENCH_EVENTS (default 1000000),
// CYTOPIPE_BENCH_COPIES=1 (distinct files instead of symbolic links), CYTOPIPE_BENCH_DIR (build
// the batch there and keep it, or reuse it if it is already there; default: a temporary folder
// removed at exit). bench/pipeline_batch.sh runs every case in its own process for peak memory.
// One synthetic tube (13 channels, Fig. 3 panel, debris/beads/doublets/dead/live T and tumour
// cells, float32) is written once; the batch is that many symbolic links to it (the disk holds
// one file) or copies of it (100 x 1M events = 5.2 GB, as a real batch: every file has its own
// pages). Both benchmarks read the same files, so both see the same page cache.
// Counters: files/s, events/s, and peak resident memory (ru_maxrss, whole process so far).
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"

namespace {

std::size_t env_or(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

struct Batch {
  std::filesystem::path dir;
  std::size_t files = 0;
  std::size_t events = 0;
  cytopipe::pipeline::Config config;
};

cytopipe::fcs::Sample synthetic_tube(std::size_t n) {
  const std::vector<std::string> names = {"FSC-A", "FSC-H", "SSC-A", "SSC-H", "FITC-A", "PE-A", "PerCP-Cy5-5-A",
                                          "PE-Cy7-A", "APC-A", "APC-Cy7-A", "BV421-A", "BV510-A", "Time"};
  cytopipe::fcs::Sample s;
  s.events = cytopipe::fcs::EventMatrix(n, names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    cytopipe::fcs::Channel ch;
    ch.index = static_cast<int>(c + 1);
    ch.name = names[c];
    ch.bits = 32;
    ch.range = 262144;
    s.channels.push_back(ch);
  }
  std::mt19937_64 rng(42);
  std::normal_distribution<double> z(0, 1);
  auto lognormal = [&](double median, double sdlog) { return median * std::exp(sdlog * z(rng)); };
  for (std::size_t e = 0; e < n; ++e) {
    const double u = static_cast<double>(e % 100);
    double fsc, ssc, ratio = 0.85;
    double fl[8];
    for (double& f : fl) f = lognormal(300, 0.5);
    if (u < 8) {  // debris
      fsc = lognormal(9000, 0.55);
      ssc = lognormal(7000, 0.65);
    } else if (u < 10) {  // beads
      fsc = lognormal(32000, 0.05);
      ssc = lognormal(150000, 0.06);
      for (double& f : fl) f = lognormal(45000, 0.06);
    } else {
      const bool tumour = u >= 55;
      fsc = tumour ? lognormal(115000, 0.15) : lognormal(78000, 0.14);
      ssc = tumour ? lognormal(52000, 0.25) : lognormal(30000, 0.22);
      if (u < 14) ratio = 0.46;                          // doublets
      if (static_cast<int>(u) % 7 == 0) fl[5] = lognormal(24000, 0.5);  // dead: viability bright
      if (tumour) {
        fl[1] = u < 80 ? lognormal(3000, 0.35) : lognormal(380, 0.45);  // BCMA
        fl[6] = lognormal(38000, 0.3);                                  // CTV
      } else {
        fl[4] = lognormal(10000, 0.3);                                  // CD3
        fl[0] = u < 35 ? lognormal(7000, 0.55) : lognormal(220, 0.5);   // CAR
      }
    }
    const double values[13] = {fsc, fsc * ratio, ssc, ssc * 0.9, fl[0], fl[1], fl[2], fl[3], fl[4],
                               fl[5], fl[6], fl[7], static_cast<double>(e) / 800.0};
    for (std::size_t c = 0; c < 13; ++c) s.events.column(c)[e] = std::min(values[c], 262143.0);
  }
  return s;
}

const Batch& batch() {
  static const Batch b = [] {
    Batch b;
    b.files = env_or("CYTOPIPE_BENCH_FILES", 100);
    b.events = env_or("CYTOPIPE_BENCH_EVENTS", 1000000);
    const char* keep = std::getenv("CYTOPIPE_BENCH_DIR");
    const bool copies = env_or("CYTOPIPE_BENCH_COPIES", 0) != 0;
    b.dir = keep ? std::filesystem::path(keep)
                 : std::filesystem::temp_directory_path() / ("cytopipe_bench_pipeline_" + std::to_string(::getpid()));
    static struct Cleanup {
      std::filesystem::path dir;
      ~Cleanup() {
        std::error_code ignored;
        if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
      }
    } cleanup{keep ? std::filesystem::path() : b.dir};
    // A kept batch is reused when it is complete (same size and kind): the stamp is written last.
    const std::string stamp = std::to_string(b.files) + " " + std::to_string(b.events) + " " + (copies ? "copies" : "links");
    const bool ready = [&] {
      std::ifstream in(b.dir / "stamp");
      std::string line;
      return std::getline(in, line) && line == stamp;
    }();
    if (!ready) {
      std::filesystem::remove_all(b.dir / "data");
      std::filesystem::create_directories(b.dir / "data");
      cytopipe::fcs::write_fcs(b.dir / "tube.fcs", synthetic_tube(b.events));
      std::ofstream sheet(b.dir / "data" / "samples.csv");
      sheet << "file,dose_nM\n";
      for (std::size_t i = 0; i < b.files; ++i) {
        const auto name = "tube_" + std::to_string(1000 + i) + ".fcs";
        if (copies) std::filesystem::copy_file(b.dir / "tube.fcs", b.dir / "data" / name);
        else std::filesystem::create_symlink(b.dir / "tube.fcs", b.dir / "data" / name);
        sheet << name << ',' << (i % 4) * 25 << '\n';
      }
      sheet.close();
      std::ofstream(b.dir / "stamp") << stamp << '\n';
    }
    const auto source = std::filesystem::path(__FILE__).parent_path().parent_path();
    std::ofstream config(b.dir / "bench.yaml");
    config << "name: bench\ninputs:\n  files: data/\n  sample_sheet: data/samples.csv\n"
              "panel:\n  markers: {CAR: FITC-A, BCMA: PE-A, CD4: PerCP-Cy5-5-A, CD8: PE-Cy7-A, CD3: APC-A,"
              " Viability: APC-Cy7-A, CTV: BV421-A, CD45: BV510-A}\n"
              "compensation: none\n"
              "gating:\n  strategy: " << (source / "gating" / "fig3_selinexor.yaml").string() << "\n"
              "readouts:\n  viability: viability(live of singlets)\n  cd3: percent(tcells of live)\n"
              "  bcma_mean: mean(BCMA, tumour_live)\n  bcma_median: median(BCMA, tumour_live)\n"
              "outputs:\n  directory: out\n  statistics: [count, percent_parent]\n  plots: false\n  report: false\n";
    config.close();
    b.config = cytopipe::pipeline::load_config(b.dir / "bench.yaml");
    return b;
  }();
  return b;
}

double peak_rss_mb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// User + system CPU seconds of the whole process (every thread) so far: load-independent cost.
double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void set_counters(benchmark::State& state, const Batch& b, double cpu_seconds) {
  const double files = static_cast<double>(b.files) * static_cast<double>(state.iterations());
  state.counters["cpu_s"] = cpu_seconds;
  state.counters["events_per_cpu_s"] = files * static_cast<double>(b.events) / cpu_seconds;
  state.counters["files_per_s"] = benchmark::Counter(files, benchmark::Counter::kIsRate);
  state.counters["events_per_s"] =
      benchmark::Counter(files * static_cast<double>(b.events), benchmark::Counter::kIsRate);
  state.counters["peak_rss_MB"] = peak_rss_mb();
  state.counters["file_MB"] = static_cast<double>(b.events) * 13 * 8 / 1e6;  // decoded doubles
}

// Reading alone, with the same bounded pipeline (threads files in flight).
void BM_ReadOnly(benchmark::State& state) {
  const auto& b = batch();
  const int threads = static_cast<int>(state.range(0));
  std::vector<std::filesystem::path> files;
  for (const auto& f : std::filesystem::directory_iterator(b.dir / "data"))
    if (f.path().extension() == ".fcs") files.push_back(f.path());
  tbb::task_arena arena(threads);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    std::size_t next = 0, total = 0;
    arena.execute([&] {
      tbb::parallel_pipeline(
          static_cast<std::size_t>(threads),
          tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                              [&](tbb::flow_control& fc) -> std::size_t {
                                                if (next >= files.size()) fc.stop();
                                                return next++;
                                              }) &
              tbb::make_filter<std::size_t, std::size_t>(
                  tbb::filter_mode::parallel,
                  [&](std::size_t i) { return i < files.size() ? cytopipe::fcs::read_fcs(files[i]).event_count() : 0; }) &
              tbb::make_filter<std::size_t, void>(tbb::filter_mode::serial_in_order,
                                                  [&](std::size_t n) { total += n; }));
    });
    benchmark::DoNotOptimize(total);
  }
  set_counters(state, b, process_cpu_seconds() - cpu0);
}

// The whole pipeline: read, panel, gate (Fig. 3 tree), statistics, read-outs, tables.
void BM_Pipeline(benchmark::State& state) {
  const auto& b = batch();
  cytopipe::pipeline::RunOptions options;
  options.threads = static_cast<int>(state.range(0));
  options.files_in_flight = static_cast<std::size_t>(state.range(0));
  options.progress = false;
  const auto hashing = state.range(1);
  options.hash_inputs = hashing != 0;
  options.output_dir = b.dir / "out";
  std::filesystem::remove(b.dir / "out" / "run.json");  // no hashes to carry over ...
  if (hashing == 2) cytopipe::pipeline::run_pipeline(b.config, options);  // ... unless a rerun
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    if (hashing == 1) {
      state.PauseTiming();
      std::filesystem::remove(b.dir / "out" / "run.json");
      state.ResumeTiming();
    }
    const auto result = cytopipe::pipeline::run_pipeline(b.config, options);
    if (!result.failures.empty()) state.SkipWithError(result.failures.front().reason.c_str());
  }
  set_counters(state, b, process_cpu_seconds() - cpu0);
}

}  // namespace

// Args: threads (= files in flight), SHA-256 of the inputs: 0 off, 1 on (a first run: every file
// hashed), 2 on for a rerun over unchanged files (hashes carried over from the previous run.json).
BENCHMARK(BM_Pipeline)->Args({1, 1})->Args({2, 1})->Args({1, 2})->Args({2, 2})->Args({1, 0})->Args({2, 0})->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_ReadOnly)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
