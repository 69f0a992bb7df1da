/**
 * Builds src/data/common-passwords.txt: the blocklist the password policy checks (NIST SP 800-63B
 * §5.1.1.2 "values known to be commonly-used, expected, or compromised").
 *
 * Nothing is downloaded. The seeds are the passwords that appear at the top of every published
 * breach-frequency ranking (SplashData, NCSC's top 100k, NordPass yearly lists, Have I Been Pwned
 * top entries) plus common Portuguese and Spanish words (Guardian ships pt-BR and es), expanded
 * with the decorations people add to satisfy composition rules (digits, years, "!", "@").
 * Only entries of 8+ characters are kept: shorter ones are already refused by the length rule.
 * Entries are lower-case; the policy compares case-insensitively.
 *
 * Run: npx tsx apps/identity/src/data/build-common-passwords.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const seeds = `
password passw0rd p@ssword p@ssw0rd pass pass1 passwd password1 qwerty qwertz azerty iloveyou
dragon monkey football baseball basketball soccer hockey letmein shadow master sunshine princess
welcome welcome1 login admin administrator root toor default guest user test tester testing secret
abc abcd abcdef abcdefg abcdefgh abc123 abcd1234 trustno1 superman batman spiderman ironman starwars
pokemon pikachu naruto michael jennifer jordan jordan23 hunter hunter2 ranger harley buster thomas
tigger robert soccer1 daniel andrew joshua charlie matthew jessica ashley amanda nicole michelle
hannah samantha maggie ginger summer winter autumn spring freedom whatever computer internet
cheese chocolate cookie banana orange apple pepper cherry mustang ferrari porsche corvette camaro
yankees cowboys lakers eagles steelers packers chelsea arsenal liverpool barcelona realmadrid
juventus manchester united killer hello hello1 hello123 helloworld flower flowers lovely loveme
lover love iloveu babygirl baby angel angels angel1 blessed blessing jesus christ god godisgood
heaven forever friends friend family mother father sister brother mommy daddy silver golden gold
diamond purple yellow orange black white red blue green pink sparky lucky lucky7 money money1
bailey shadow1 taylor tiger lion eagle falcon phoenix dolphin butterfly unicorn rainbow snoopy
garfield mickey minnie donald goofy disney matrix zxcvbnm zxcvbn asdfgh asdfghjkl qwertyuiop
qazwsx qazwsxedc 1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e q1w2e3r4 zaq12wsx zaq1zaq1 xsw2zaq1 !qaz2wsx
1qazxsw2 qweasd qweasdzxc asdasd asdqwe zxczxc qwe123 asd123 zxc123 qwerty1 qwerty12 qwerty123
1234qwer qwer1234 q1w2e3r4t5 a1b2c3d4 a1b2c3 aaaaaa michael1 charlie1 shadow12 master12 access
access14 mustang1 jordan1 killer1 pepper1 batman1 thunder thunderbird lightning storm hurricane
cricket rugby tennis golf golfer fishing hunting camping guitar music musician rockstar rocknroll
metallica nirvana beatles elvis marley eminem slipknot linkinpark gandalf frodo hobbit zelda mario
luigi sonic minecraft fortnite roblox warcraft starcraft diablo halo xbox playstation nintendo
gamer gaming player hacker cyber security secure letmein1 changeme changeit temp temp123 temporary
newpass newpassword mypassword mypass yourpassword nopassword blank none nothing private confidential
office company business manager service support server network system sysadmin webmaster oracle
mysql postgres database backup internet1 wireless router cisco linux ubuntu windows microsoft apple1
google facebook twitter instagram youtube linkedin amazon netflix spotify iphone android samsung
nokia motorola sony dell lenovo toshiba america usa canada london paris berlin madrid lisbon
newyork chicago boston dallas texas florida california brooklyn miami vegas hollywood
senha senha1 senha123 senha1234 minhasenha mudar mudar123 trocar brasil brazil saopaulo rio
riodejaneiro flamengo corinthians palmeiras santos gremio vasco cruzeiro botafogo fluminense
internacional timao mengao amor amorzinho meuamor teamo teamomuito saudade felicidade familia
jesuscristo deusefiel deus jesus1 gabriel rafael lucas mateus pedro joao maria ana juliana
fernanda amanda1 beatriz camila larissa leticia mariana vitoria vitor gustavo guilherme felipe
bruno thiago rodrigo carlos eduardo ricardo fernando marcelo paulo sergio leonardo matheus
futebol cerveja caipirinha carnaval saudades princesa princesinha gatinha gatinho bebe chocolate1
contraseña contrasena micontraseña clave clave123 miclave hola hola123 holamundo teamo1 tequiero
amorcito corazon mariposa estrella futbol realmadrid1 barca bocajuniors riverplate america1
argentina mexico colombia chile peru venezuela españa espana madrid1 sevilla valencia barcelona1
jesus123 dios diosesamor familia1 mama papa hermano hermana abuela abuelo perrito gatito
sebastian alejandro daniela valentina sofia isabella camila1 santiago mateo nicolas diego javier
qwerty1234 asdf asdf1234 1234asdf zxcv1234 iloveyou1 iloveyou2 loveyou loveyou1 trustme
letmeinnow opensesame sesame password12 password123 password1234 passw0rd1 p4ssw0rd pa55word
pa55w0rd passwort kennwort motdepasse salasana wachtwoord haslo parola
`;

const numeric = [
  '12345678',
  '123456789',
  '1234567890',
  '0123456789',
  '87654321',
  '987654321',
  '9876543210',
  '12341234',
  '11223344',
  '123123123',
  '12344321',
  '1234554321',
  '11111111',
  '00000000',
  '22222222',
  '33333333',
  '44444444',
  '55555555',
  '66666666',
  '77777777',
  '88888888',
  '99999999',
  '1111111111',
  '123456123456',
  '147258369',
  '159753456',
  '741852963',
  '789456123',
  '123654789',
  '147852369',
  '963852741',
  '123qweasd',
  '1qazxsw23edc',
  '12qwaszx',
  '123456qwerty',
  '1234567a',
  '12345678a',
  'a12345678',
  '1234567q',
  'q12345678',
  '31415926',
  '314159265',
  '13579246',
  '24682468',
  '69696969',
  '12121212',
  '13131313',
  '10203040',
  '102030405060',
  '11112222',
  '12300123',
  '123454321',
];

const suffixes = [
  '',
  '1',
  '12',
  '123',
  '1234',
  '12345',
  '!',
  '1!',
  '123!',
  '@123',
  '01',
  '69',
  '2024',
  '2025',
  '2026',
];

const out = new Set<string>();
const add = (p: string) => {
  const v = p.normalize('NFKC').toLowerCase();
  if ([...v].length >= 8 && [...v].length <= 128) out.add(v);
};

const words = [...new Set(seeds.split(/\s+/).filter(Boolean))];
for (const w of words) {
  for (const s of suffixes) add(w + s);
  add(w + w);
  add(w.replace(/a/g, '@').replace(/o/g, '0').replace(/e/g, '3') + '1');
  add(w.replace(/a/g, '4').replace(/e/g, '3').replace(/i/g, '1').replace(/o/g, '0'));
}
for (const n of numeric) add(n);
for (let d = 0; d <= 9; d++) for (let len = 8; len <= 12; len++) add(String(d).repeat(len));
for (const c of 'abcdefghijklmnopqrstuvwxyz') add(c.repeat(8));
for (let y = 1950; y <= 2026; y++) {
  add(`password${y}`);
  add(`senha${y}`);
  add(`${y}${y}`);
}

const list = [...out].sort();
const target = fileURLToPath(new URL('./common-passwords.txt', import.meta.url));
writeFileSync(target, list.join('\n') + '\n');
console.log(`wrote ${list.length} entries to ${target}`);
