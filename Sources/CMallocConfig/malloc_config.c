// The materia binary links jemalloc (Debian's libjemalloc-dev), which reads its settings from this
// symbol when the process starts. MALLOC_CONF in the environment still overrides it.
//
// - dirty_decay_ms:10000 (jemalloc's default, written out): freed pages are kept about 10 s
//   before they go back to the kernel. A build frees each article's Markdown as it renders it and
//   then needs as much again for the HTML; pages handed back after 1 s (the setting until
//   session 19) came back as new pages the kernel had to clear: 2.4-7.8 % of a 10,000-article
//   build's CPU samples against 0.8-2.6 % with 10 s in the same minutes (the figure also moves
//   with the host: 3.9-6.2 % with 10 s in later runs), and 0.957 of the wall time side by side
//   (10 rounds, faster in 7). The peak resident size is the same within 1 %
//   (339 MB at 10,000 articles, 1.69 GB at 100,000; 1 s once saved 50 MB, before later sessions
//   cut what a build holds). Never handing pages back took 100,000 articles to 2.1 GB.
// - thp:always: jemalloc asks the kernel for transparent huge pages (madvise) for its memory,
//   which the kernel grants where THP is "madvise" or "always". A build then takes far fewer page
//   faults (10,000 articles: about 5,000 instead of 86,000; 100,000: 97,000 instead of 770,000)
//   and less system time, for 2-5 % more peak RSS (docs/performance.md, session 16). Where THP is
//   "never" it changes nothing.
#include "malloc_config.h"

const char *malloc_conf = "dirty_decay_ms:10000,thp:always";
