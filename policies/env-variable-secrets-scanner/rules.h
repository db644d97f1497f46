// The secret rules of env-variable-secrets-scanner (policies-more.md §5): rusty-hog's default
// rule set, in rule-name order, rewritten from Rust `regex` syntax into the Go/RE2 syntax of
// kubewarden/regex.h with the same meaning on ASCII text:
//   * Rust's nested classes `[\s[[:punct:]]]` become `[\s[:punct:]]`;
//   * the intersection `[\W&&[^:/]]` becomes `[^\w:/]`.
// (Rust's `\w \d \s \b` are Unicode-aware, Go's ASCII-only: they differ on non-ASCII letters,
// digits and spaces only.)
//
// Each rule also names `needles`: substrings of which a matching line must contain at least one
// (compared ignoring ASCII case when `fold_case`), and the shortest line that can match. They
// only let the scanner skip a regex that cannot match; they never decide a finding.
#ifndef KW_POLICIES_ENV_VARIABLE_SECRETS_SCANNER_RULES_H_
#define KW_POLICIES_ENV_VARIABLE_SECRETS_SCANNER_RULES_H_

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace env_secrets {

struct Rule {
  std::string_view name;
  std::string_view pattern;
  bool fold_case;                         // needles compare ignoring ASCII case
  std::array<std::string_view, 4> needles;  // empty entries are unused; all empty = none
  std::size_t min_length;
};

// clang-format off
inline constexpr Rule kRules[] = {
  {"Account ID", R"re((?i)account[\s[:punct:]]?id[\s[:punct:]]{1,4}\b[\d]{1,10}\b)re", true, {"account"}, 10},
  {"Amazon AWS Access Key ID", R"re(AKIA[0-9A-Z]{16})re", false, {"AKIA"}, 20},
  {"Amazon MWS Auth Token", R"re(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})re", false, {"amzn.mws."}, 45},
  {"Credentials in absolute URL", R"re((?i)((https?|ftp)://)(([a-z0-9$_\.\+!\*'\(\),;\?&=-]|%[0-9a-f]{2})+(:([a-z0-9$_\.\+!\*'\(\),;\?&=-]|%[0-9a-f]{2})+)@)((([a-z0-9]\.|[a-z0-9][a-z0-9-]*[a-z0-9]\.)*[a-z][a-z0-9-]*[a-z0-9]|((\d|[1-9]\d|1\d{2}|2[0-4][0-9]|25[0-5])\.){3}(\d|[1-9]\d|1\d{2}|2[0-4][0-9]|25[0-5]))(:\d+)?)(((/+([a-z0-9$_\.\+!\*'\(\),;:@&=-]|%[0-9a-f]{2})*)*(\?([a-z0-9$_\.\+!\*'\(\),;:@&=-]|%[0-9a-f]{2})*)?)?)?)re", true, {"://"}, 10},
  {"Email address", R"re((?i)\b(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@[a-z0-9][a-z0-9-]+\.(com|de|cn|net|uk|org|info|nl|eu|ru)([^\w:/]|\A|\z))re", true, {"@"}, 6},
  {"Facebook Access Token", R"re(EAACEdEose0cBA[0-9A-Za-z]+)re", false, {"EAACEdEose0cBA"}, 15},
  {"Facebook OAuth", R"re((?i)facebook[\s[:punct:]]{1,4}[0-9a-f]{32}[\s[:punct:]]?)re", true, {"facebook"}, 41},
  {"Generic API Key", R"re((?i)(api|access)[\s[:punct:]]?key[\s[:punct:]]{1,4}[0-9a-zA-Z\-_]{16,64}[\s[:punct:]]?)re", true, {"key"}, 23},
  {"Generic Account API Key", R"re((?i)account[\s[:punct:]]?api[\s[:punct:]]{1,4}[0-9a-zA-Z\-_]{16,64}[\s[:punct:]]?)re", true, {"account"}, 27},
  {"Generic Secret", R"re((?i)secret[\s[:punct:]]{1,4}[0-9a-zA-Z-_]{16,64}[\s[:punct:]]?)re", true, {"secret"}, 23},
  {"GitHub", R"re((?i)(github|access[[:punct:]]token)[\s[:punct:]]{1,4}[0-9a-zA-Z]{35,40})re", true, {"github", "token"}, 42},
  {"Google (GCP) Service-account", R"re((?i)"type": "service_account")re", true, {"\"type\": \"service_account\""}, 25},
  {"Google API Key", R"re(AIza[0-9A-Za-z\-_]{35})re", false, {"AIza"}, 39},
  {"Google Cloud Platform API Key", R"re(AIza[0-9A-Za-z\-_]{35})re", false, {"AIza"}, 39},
  {"Google Cloud Platform OAuth", R"re((?i)[0-9]+-[0-9A-Za-z_]{32}\.apps\.googleusercontent\.com)re", true, {".apps.googleusercontent.com"}, 61},
  {"Google Drive API Key", R"re(AIza[0-9A-Za-z\-_]{35})re", false, {"AIza"}, 39},
  {"Google Drive OAuth", R"re((?i)[0-9]+-[0-9A-Za-z_]{32}\.apps\.googleusercontent\.com)re", true, {".apps.googleusercontent.com"}, 61},
  {"Google Gmail API Key", R"re(AIza[0-9A-Za-z\-_]{35})re", false, {"AIza"}, 39},
  {"Google Gmail OAuth", R"re((?i)[0-9]+-[0-9A-Za-z_]{32}\.apps\.googleusercontent\.com)re", true, {".apps.googleusercontent.com"}, 61},
  {"Google OAuth Access Token", R"re(ya29\.[0-9A-Za-z\-_]+)re", false, {"ya29."}, 6},
  {"Google YouTube API Key", R"re(AIza[0-9A-Za-z\-_]{35})re", false, {"AIza"}, 39},
  {"Google YouTube OAuth", R"re((?i)[0-9]+-[0-9A-Za-z_]{32}\.apps\.googleusercontent\.com)re", true, {".apps.googleusercontent.com"}, 61},
  {"Grafana API Key", R"re(eyJrIjoi[A-Za-z0-9]{70,}={0,2})re", false, {"eyJrIjoi"}, 78},
  {"Grafana Cloud API Token", R"re(glc_[A-Za-z0-9+/]{32,}={0,2})re", false, {"glc_"}, 36},
  {"Grafana Service Account Token", R"re(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})re", false, {"glsa_"}, 46},
  {"Heroku API Key", R"re([h|H][e|E][r|R][o|O][k|K][u|U][\s[:punct:]]{1,4}[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})re", false, {"-"}, 43},
  {"MailChimp API Key", R"re([0-9a-f]{32}-us[0-9]{1,2})re", false, {"-us"}, 36},
  {"Mailgun API Key", R"re((?i)key-[0-9a-zA-Z]{32})re", true, {"key-"}, 36},
  {"New Relic API Key Service Key (new format)", R"re((?i)NRAK-[A-Za-z0-9]{27})re", true, {"nrak-"}, 32},
  {"New Relic APM License Key (new format)", R"re((?i)[A-Fa-f0-9]{36}NRAL)re", true, {"nral"}, 40},
  {"New Relic APM License Key (new format, region-aware)", R"re((?i)[a-z]{2}[0-9]{2}xx[A-Fa-f0-9]{30}NRAL)re", true, {"nral"}, 40},
  {"New Relic Account IDs in URL", R"re((newrelic\.com/)?accounts/\d{1,10}/)re", false, {"accounts/"}, 11},
  {"New Relic Admin API Key (new format)", R"re((?i)NRAA-[A-Fa-f0-9]{27})re", true, {"nraa-"}, 32},
  {"New Relic HTTP Auth Headers and API Key", R"re((?i)(x|newrelic|nr)-?(admin|partner|account|query|insert|api|license)-?(id|key)[\s[:punct:]]{1,4}\b[\w-]{32,47}\b)re", true, {"id", "key"}, 39},
  {"New Relic Insights Insert Key (new format)", R"re((?i)NRII-[A-Za-z0-9-_]{32})re", true, {"nrii-"}, 37},
  {"New Relic Insights Key (specific)", R"re((?i)insights[\s[:punct:]]?(key|query|insert)[\s[:punct:]]{1,4}\b[\w-]{32,40}\b)re", true, {"insights"}, 44},
  {"New Relic Insights Key (vague)", R"re((?i)(query|insert)[\s[:punct:]]?key[\s[:punct:]]{1,4}b[\w-]{32,40}\b)re", true, {"key"}, 42},
  {"New Relic Insights Query Key (new format)", R"re((?i)NRIQ-[A-Za-z0-9-_]{32})re", true, {"nriq-"}, 37},
  {"New Relic Internal API Key", R"re((?i)nr-internal-api-key)re", true, {"nr-internal-api-key"}, 19},
  {"New Relic License Key", R"re((?i)license[\s[:punct:]]?key[\s[:punct:]]{1,4}\b[\w-]{32,47}\b)re", true, {"license"}, 43},
  {"New Relic Mobile Application Token", R"re([\s[:punct:]][A-Fa-f0-9]{42}[\s[:punct:][:cntrl:]])re", false, {}, 44},
  {"New Relic Partner & REST API Key", R"re([\s[:punct:]][A-Fa-f0-9]{47}[\s[:punct:][:cntrl:]])re", false, {}, 49},
  {"New Relic Pixie API Key", R"re(px-api-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})re", false, {"px-api-"}, 43},
  {"New Relic Pixie Deploy Key", R"re(px-dep-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})re", false, {"px-dep-"}, 43},
  {"New Relic REST API Key (another new-style format)", R"re((?i)NRRA-[A-Fa-f0-9]{21})re", true, {"nrra-"}, 26},
  {"New Relic REST API Key (new format)", R"re((?i)NRRA-[A-Fa-f0-9]{42})re", true, {"nrra-"}, 47},
  {"New Relic Synthetics Private Location", R"re((?i)minion_private_location_key)re", true, {"minion_private_location_key"}, 27},
  {"New Relic Synthetics Private Location Key (new format)", R"re((?i)NRSP-[A-Za-z]{2}[0-9]{2}[A-Fa-f0-9]{31})re", true, {"nrsp-"}, 40},
  {"PGP private key block", R"re(-----BEGIN PGP PRIVATE KEY BLOCK-----)re", false, {"-----BEGIN PGP PRIVATE KEY BLOCK-----"}, 37},
  {"PayPal Braintree Access Token", R"re((?i)access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})re", true, {"access_token$production$"}, 73},
  {"Picatic API Key", R"re((?i)sk_live_[0-9a-z]{32})re", true, {"sk_live_"}, 40},
  {"RSA private key", R"re(-----BEGIN RSA PRIVATE KEY-----)re", false, {"-----BEGIN RSA PRIVATE KEY-----"}, 31},
  {"SSH (DSA) private key", R"re(-----BEGIN DSA PRIVATE KEY-----)re", false, {"-----BEGIN DSA PRIVATE KEY-----"}, 31},
  {"SSH (EC) private key", R"re(-----BEGIN EC PRIVATE KEY-----)re", false, {"-----BEGIN EC PRIVATE KEY-----"}, 30},
  {"Salary Information", R"re((?i)(salary|commission|compensation|pay)([\s[:punct:]](amount|target))?[\s[:punct:]]{1,4}\d+)re", true, {"salary", "commission", "compensation", "pay"}, 5},
  {"Slack Token", R"re((xox[p|b|o|a]-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9\-]*))re", false, {"xox"}, 26},
  {"Slack Webhook", R"re((?i)https://hooks.slack.com/services/T[a-zA-Z0-9_]{8}/B[a-zA-Z0-9_]{8,10}/[a-zA-Z0-9_]{24})re", true, {"https://hooks"}, 77},
  {"Square Access Token", R"re((?i)sq0atp-[0-9A-Za-z\-_]{22})re", true, {"sq0atp-"}, 29},
  {"Square OAuth Secret", R"re((?i)sq0csp-[0-9A-Za-z\-_]{43})re", true, {"sq0csp-"}, 50},
  {"Stripe API Key", R"re((?i)sk_live_[0-9a-zA-Z]{24})re", true, {"sk_live_"}, 32},
  {"Stripe Restricted API Key", R"re((?i)rk_live_[0-9a-zA-Z]{24})re", true, {"rk_live_"}, 32},
  {"Twilio API Key", R"re(SK[0-9a-fA-F]{32})re", false, {"SK"}, 34},
  {"Twitter Access Token", R"re((?i)twitter[\s[:punct:]]{1,4}[1-9][0-9]+-[0-9a-zA-Z]{40})re", true, {"twitter"}, 51},
  {"Twitter OAuth", R"re((?i)twitter[\s[:punct:]]{1,4}['|"]?[0-9a-zA-Z]{35,44}['|"]?)re", true, {"twitter"}, 43},
};
// clang-format on

inline constexpr std::size_t kRuleCount = sizeof(kRules) / sizeof(kRules[0]);

}  // namespace env_secrets

#endif  // KW_POLICIES_ENV_VARIABLE_SECRETS_SCANNER_RULES_H_
