#include "tools/runner/bpe_tokenizer.h"

#include <algorithm>
#include <queue>

#include "tools/runner/unicode.h"

namespace qins::runner {
namespace {

struct Symbol {
  int prev;
  int next;
  const char* text;
  size_t n;
};

struct Bigram {
  int left;
  int right;
  std::string text;
  int rank;
};
// priority_queue's top: the lowest rank, then the lowest left index.
struct BigramGreater {
  bool operator()(const Bigram& l, const Bigram& r) const {
    return l.rank > r.rank || (l.rank == r.rank && l.left > r.left);
  }
};

}  // namespace

void BpeTokenizeWord(const TokenVocab& vocab, const BpeRanks& ranks,
                     const std::string& word, std::vector<int>* out) {
  std::vector<Symbol> symbols;
  int index = 0;
  size_t offset = 0;
  while (offset < word.size()) {
    const size_t len =
        std::min(word.size() - offset,
                 Utf8SequenceLength(static_cast<uint8_t>(word[offset])));
    Symbol s;
    s.text = word.data() + offset;
    s.n = len;
    offset += len;
    s.prev = index - 1;
    s.next = offset == word.size() ? -1 : index + 1;
    ++index;
    symbols.push_back(s);
  }
  std::priority_queue<Bigram, std::vector<Bigram>, BigramGreater> queue;
  auto add_bigram = [&](int left, int right) {
    if (left == -1 || right == -1) return;
    std::string l(symbols[left].text, symbols[left].n);
    std::string r(symbols[right].text, symbols[right].n);
    const int rank = ranks.Find(l, r);
    if (rank < 0) return;
    queue.push(Bigram{left, right, l + r, rank});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i)
    add_bigram(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    if (l.n == 0 || r.n == 0) continue;
    // Outdated when either side has changed since the pair was queued.
    if (l.n + r.n != b.text.size() ||
        b.text.compare(0, l.n, l.text, l.n) != 0 ||
        b.text.compare(l.n, r.n, r.text, r.n) != 0)
      continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    add_bigram(l.prev, b.left);
    add_bigram(b.left, l.next);
  }
  for (const Symbol& s : symbols) {
    if (s.n == 0) continue;
    const std::string str(s.text, s.n);
    const int id = vocab.Find(str);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : str) {
      const int b = vocab.Find(std::string(1, c));
      if (b >= 0) out->push_back(b);
    }
  }
}

}  // namespace qins::runner
