"""Fictional but plausible directory content for every Party, for demos and trying the UI.

`demo_document(parties)` turns the reference Parties list (`transfer.parties_from_csv()`) into a
full import document: one 24/7 contact point per Party (with a short designation history for a
few), and three to six people with phones and languages. It is a pure function: no database, no
clock, no global randomness; each Party draws from its own `random.Random` seeded with its ISO
code, so the same input always gives the same document.

Everything is marked as fictional: unit names end in "(demo)", e-mail domains use the reserved
`.example` TLD, and phone numbers come from the fictional ranges the regulators reserve where
libphonenumber accepts them (US/CA 555-01xx, GB 020 7946 0xxx, AU 02 5550 xxxx, FR 01 99 00 xx xx),
else from variations of libphonenumber's example numbers.
"""

# Names and streets in many scripts are the point of this module, and some of their letters look
# like Latin ones (Cyrillic, Greek, Hebrew, Turkish dotless i): the confusable-character rule is
# off here (the project config already ignores it; RUF100 for runs that select it explicitly).
# ruff: noqa: RUF001, RUF100

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType

from directory.transfer import FORMAT, VERSION

# --- name pools ------------------------------------------------------------------------------
# Names in a non-Latin script are written "native|latin"; the Latin form gives the e-mail address
# and a transliteration shown after the native name.


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


@dataclass(frozen=True)
class _Pool:
    lang: str  # the native language of the people drawn from this pool (a BCP 47 tag)
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    surnames_female: tuple[str, ...] = ()  # where surnames are gendered, same order as surnames
    street: str = "{n} Example Street"
    family_first: bool = False


def _pool(
    lang: str,
    male: str,
    female: str,
    surnames: str,
    surnames_female: str = "",
    street: str = "{n} Example Street",
    family_first: bool = False,
) -> _Pool:
    return _Pool(
        lang,
        _names(male),
        _names(female),
        _names(surnames),
        _names(surnames_female),
        street,
        family_first,
    )


_POOLS: dict[str, _Pool] = {
    "sq": _pool(
        "sq",
        "Arben, Besnik, Dritan, Erion, Gentian, Ilir",
        "Anila, Blerina, Elira, Jonida, Mirela, Teuta",
        "Hoxha, Krasniqi, Gashi, Berisha, Shehu, Dervishi, Leka, Kola",
        street="Rruga e Shembullit {n}",
    ),
    "ca": _pool(
        "ca",
        "Jordi, Marc, Pere, Joan, Xavier, Albert",
        "Montserrat, Núria, Laia, Meritxell, Anna, Roser",
        "Puig, Vidal, Font, Serra, Casals, Pujol, Riba, Mas",
        street="Carrer de l'Exemple, {n}",
    ),
    "es": _pool(
        "es",
        "Alejandro, Carlos, Diego, Javier, Luis, Miguel, Andrés",
        "Ana, Carmen, Lucía, María José, Valentina, Gabriela",
        "García, Fernández, Martínez, Rodríguez, López, Morales, Herrera, Castillo, Romero, Vargas",
        street="Calle Ejemplo {n}",
    ),
    "hy": _pool(
        "hy",
        "Արամ|Aram, Տիգրան|Tigran, Դավիթ|Davit, Արմեն|Armen, Գագիկ|Gagik, Հայկ|Hayk",
        "Անի|Ani, Լուսինե|Lusine, Նարինե|Narine, Մարիամ|Mariam, Արմինե|Armine, Սիրանուշ|Siranush",
        "Պետրոսյան|Petrosyan, Հովհաննիսյան|Hovhannisyan, Սարգսյան|Sargsyan, "
        "Գրիգորյան|Grigoryan, Հարությունյան|Harutyunyan, Ավետիսյան|Avetisyan",
        street="Օրինակի փողոց {n}",
    ),
    "en": _pool(
        "en",
        "James, Michael, David, Daniel, Thomas, Andrew, Robert",
        "Sarah, Emma, Laura, Rachel, Catherine, Olivia",
        "Smith, Johnson, Taylor, Brown, Wilson, Clarke, Walker, Hughes, Bennett, Morgan",
    ),
    "caribbean": _pool(
        "en",
        "Andre, Kareem, Dwayne, Shane, Curtis, Devon",
        "Shanice, Kerry-Ann, Nadia, Simone, Keisha, Renee",
        "Joseph, Charles, Alexander, Francis, George, Baptiste, Noel, Thomas",
        street="{n} Example Street",
    ),
    "ie": _pool(
        "en",
        "Seán, Ciarán, Patrick, Conor, Darragh, Eoin",
        "Aoife, Siobhán, Niamh, Sinéad, Ciara, Orla",
        "Murphy, Kelly, O'Sullivan, Walsh, Byrne, O'Brien, Ryan, Doyle",
    ),
    "nz": _pool(
        "en",
        "James, Liam, Hamish, Tane, Wiremu, Ben",
        "Aroha, Sophie, Hannah, Mere, Olivia, Kate",
        "Smith, Wilson, Williams, Ngata, Parata, Taylor, Walker, Te Whata",
    ),
    "qc": _pool(
        "fr",
        "Jean-François, Mathieu, Olivier, Sébastien, Guillaume, Luc",
        "Geneviève, Isabelle, Marie-Ève, Catherine, Julie, Nathalie",
        "Tremblay, Gagnon, Roy, Côté, Bouchard, Gauthier, Morin, Lavoie",
        street="{n}, rue de l'Exemple",
    ),
    "de": _pool(
        "de",
        "Thomas, Michael, Stefan, Andreas, Markus, Jan, Lukas",
        "Anna, Julia, Sabine, Katrin, Laura, Claudia",
        "Müller, Schmidt, Schneider, Fischer, Weber, Wagner, Becker, Hoffmann, Schäfer, Koch",
        street="Musterstraße {n}",
    ),
    "at": _pool(
        "de",
        "Florian, Lukas, Christoph, Wolfgang, Georg, Matthias",
        "Katharina, Sabine, Lisa, Verena, Barbara, Elisabeth",
        "Huber, Gruber, Bauer, Wagner, Pichler, Steiner, Moser, Mayer",
        street="Mustergasse {n}",
    ),
    "li": _pool(
        "de",
        "Martin, Patrick, Daniel, Roland, Thomas, Stefan",
        "Andrea, Sandra, Manuela, Nadja, Corinne, Petra",
        "Büchel, Frick, Marxer, Ospelt, Vogt, Beck, Hasler, Kaiser",
        street="Musterweg {n}",
    ),
    "ch_de": _pool(
        "de",
        "Reto, Beat, Urs, Lukas, Adrian, Marco",
        "Corinne, Barbara, Nicole, Regula, Sarah, Simone",
        "Meier, Keller, Brunner, Baumann, Zimmermann, Graf, Frei, Moser",
        street="Musterstrasse {n}",
    ),
    "az": _pool(
        "az",
        "Elvin, Rəşad, Orxan, Tural, Anar, Fərid",
        "Leyla, Aysel, Nigar, Günel, Səbinə, Nərmin",
        "Məmmədli, Həsənli, Hüseynli, Qurbanlı, Rzazadə, Abbaszadə, İsmayıllı, Cəfərli",
        street="Nümunə küçəsi {n}",
    ),
    "nl": _pool(
        "nl",
        "Jan, Pieter, Bram, Thijs, Wouter, Koen",
        "Sanne, Lotte, Eva, Inge, Femke, Anouk",
        "de Vries, Jansen, Bakker, Visser, Smit, Meijer, de Jong, Mulder",
        street="Voorbeeldstraat {n}",
    ),
    "nl_be": _pool(
        "nl",
        "Pieter, Wouter, Koen, Bart, Stijn, Jeroen",
        "An, Els, Lies, Sofie, Katrien, Annelies",
        "Peeters, Janssens, Maes, Jacobs, Mertens, Willems, Claes, Wouters",
        street="Voorbeeldstraat {n}",
    ),
    "fr": _pool(
        "fr",
        "Julien, Nicolas, Thomas, Pierre, Antoine, Mathieu",
        "Camille, Julie, Claire, Sophie, Élodie, Céline",
        "Martin, Bernard, Dubois, Durand, Lefebvre, Moreau, Laurent, Girard",
        street="{n} rue de l'Exemple",
    ),
    "it": _pool(
        "it",
        "Marco, Luca, Giuseppe, Francesco, Alessandro, Matteo",
        "Giulia, Francesca, Chiara, Sara, Valentina, Elena",
        "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci",
        street="Via dell'Esempio {n}",
    ),
    "sm": _pool(
        "it",
        "Marco, Luca, Simone, Davide, Filippo, Nicola",
        "Giulia, Laura, Chiara, Federica, Valentina, Elisa",
        "Giardi, Guidi, Gasperoni, Casadei, Mularoni, Stefanelli, Zanotti, Righi",
        street="Via dell'Esempio {n}",
    ),
    "lb": _pool(
        "lb",
        "Luc, Marc, Tom, Pit, Claude, Yves",
        "Anne, Carole, Sandra, Nathalie, Martine, Lis",
        "Schmit, Muller, Weber, Wagner, Hoffmann, Thill, Reuter, Kremer",
        street="{n}, rue de l'Exemple",
    ),
    "pt": _pool(
        "pt",
        "João, Pedro, Tiago, Rui, Nuno, Miguel",
        "Ana, Inês, Catarina, Sofia, Joana, Mariana",
        "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins",
        street="Rua do Exemplo, {n}",
    ),
    "br": _pool(
        "pt",
        "Lucas, Gabriel, Rafael, Felipe, Bruno, Thiago",
        "Ana Clara, Juliana, Camila, Fernanda, Beatriz, Larissa",
        "Silva, Souza, Oliveira, Santos, Lima, Pereira, Carvalho, Almeida",
        street="Rua Exemplo, {n}",
    ),
    "cv": _pool(
        "kea",
        "João, Carlos, Nelson, Edson, Jorge, Hélder",
        "Maria, Ana, Carla, Sónia, Elisa, Djamila",
        "Fernandes, Lopes, Tavares, Semedo, Monteiro, Varela, Gomes, Rodrigues",
        street="Rua do Exemplo, {n}",
    ),
    "bg": _pool(
        "bg",
        "Георги|Georgi, Иван|Ivan, Димитър|Dimitar, Николай|Nikolay, Петър|Petar, Стоян|Stoyan",
        "Мария|Maria, Елена|Elena, Десислава|Desislava, Гергана|Gergana, Радост|Radost, "
        "Цветелина|Tsvetelina",
        "Иванов|Ivanov, Георгиев|Georgiev, Димитров|Dimitrov, Петров|Petrov, "
        "Николов|Nikolov, Стоянов|Stoyanov, Христов|Hristov, Тодоров|Todorov",
        "Иванова|Ivanova, Георгиева|Georgieva, Димитрова|Dimitrova, Петрова|Petrova, "
        "Николова|Nikolova, Стоянова|Stoyanova, Христова|Hristova, Тодорова|Todorova",
        street="ул. „Примерна“ № {n}",
    ),
    "el": _pool(
        "el",
        "Γιώργος|Giorgos, Νίκος|Nikos, Δημήτρης|Dimitris, Κώστας|Kostas, "
        "Γιάννης|Giannis, Παναγιώτης|Panagiotis",
        "Μαρία|Maria, Ελένη|Eleni, Κατερίνα|Katerina, Σοφία|Sofia, Δήμητρα|Dimitra, "
        "Αγγελική|Angeliki",
        "Γεωργίου|Georgiou, Οικονόμου|Oikonomou, Νικολάου|Nikolaou, Βασιλείου|Vasileiou, "
        "Ιωάννου|Ioannou, Κωνσταντίνου|Konstantinou, Χριστοδούλου|Christodoulou, "
        "Παπαναστασίου|Papanastasiou",
        street="Οδός Παραδείγματος {n}",
    ),
    "cs": _pool(
        "cs",
        "Jan, Petr, Tomáš, Martin, Jakub, Lukáš",
        "Jana, Petra, Lucie, Kateřina, Tereza, Eva",
        "Novák, Svoboda, Dvořák, Černý, Procházka, Kučera, Veselý, Horák",
        "Nováková, Svobodová, Dvořáková, Černá, Procházková, Kučerová, Veselá, Horáková",
        street="Vzorová {n}",
    ),
    "sk": _pool(
        "sk",
        "Peter, Martin, Michal, Ján, Juraj, Marek",
        "Zuzana, Katarína, Lucia, Jana, Mária, Veronika",
        "Kováč, Horváth, Baláž, Novotný, Hudák, Lukáč, Polák, Varga",
        "Kováčová, Horváthová, Balážová, Novotná, Hudáková, Lukáčová, Poláková, Vargová",
        street="Vzorová ulica {n}",
    ),
    "pl": _pool(
        "pl",
        "Piotr, Tomasz, Marcin, Krzysztof, Paweł, Michał",
        "Anna, Katarzyna, Magdalena, Agnieszka, Joanna, Małgorzata",
        "Kowalski, Nowak, Wiśniewski, Wójcik, Kamiński, Lewandowski, Zieliński, Kowalczyk",
        "Kowalska, Nowak, Wiśniewska, Wójcik, Kamińska, Lewandowska, Zielińska, Kowalczyk",
        street="ul. Przykładowa {n}",
    ),
    "hu": _pool(
        "hu",
        "Péter, László, Gábor, Zoltán, Attila, Balázs",
        "Katalin, Eszter, Anna, Zsófia, Judit, Krisztina",
        "Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár",
        street="Minta utca {n}.",
        family_first=True,
    ),
    "ro": _pool(
        "ro",
        "Andrei, Mihai, Alexandru, Ion, Cristian, Bogdan",
        "Ioana, Elena, Maria, Andreea, Cristina, Alina",
        "Popescu, Ionescu, Popa, Dumitru, Stan, Stoica, Gheorghe, Munteanu",
        street="Strada Exemplului nr. {n}",
    ),
    "md": _pool(
        "ro",
        "Ion, Vasile, Sergiu, Victor, Dumitru, Andrei",
        "Natalia, Elena, Tatiana, Olga, Cristina, Mariana",
        "Rusu, Ceban, Ciobanu, Cebotari, Lungu, Țurcan, Sârbu, Botnaru",
        street="Strada Exemplului nr. {n}",
    ),
    "hr": _pool(
        "hr",
        "Ivan, Marko, Tomislav, Ante, Luka, Josip",
        "Ana, Marija, Ivana, Petra, Maja, Katarina",
        "Horvat, Kovačević, Babić, Marić, Jurić, Novak, Knežević, Vuković",
        street="Primjerna ulica {n}",
    ),
    "bs": _pool(
        "bs",
        "Adnan, Emir, Haris, Amar, Nermin, Dženan",
        "Amra, Lejla, Selma, Aida, Emina, Merima",
        "Hodžić, Hadžić, Begić, Delić, Kovačević, Mehmedović, Halilović, Šehić",
        street="Primjerna ulica {n}",
    ),
    "me": _pool(
        "sr-Latn",
        "Marko, Nikola, Vuk, Miloš, Darko, Balša",
        "Jelena, Milena, Tijana, Jovana, Ana, Dragana",
        "Popović, Radović, Vujović, Perović, Vučinić, Bošković, Lakić, Šćepanović",
        street="Primjerna ulica {n}",
    ),
    "sr": _pool(
        "sr",
        "Милош|Miloš, Никола|Nikola, Марко|Marko, Стефан|Stefan, Драган|Dragan, Ненад|Nenad",
        "Јелена|Jelena, Милица|Milica, Ана|Ana, Марија|Marija, Ивана|Ivana, Снежана|Snežana",
        "Јовановић|Jovanović, Петровић|Petrović, Николић|Nikolić, Марковић|Marković, "
        "Ђорђевић|Đorđević, Стојановић|Stojanović, Илић|Ilić, Павловић|Pavlović",
        street="Примерна улица {n}",
    ),
    "mk": _pool(
        "mk",
        "Александар|Aleksandar, Горан|Goran, Дејан|Dejan, Игор|Igor, Бојан|Bojan, Влатко|Vlatko",
        "Марија|Marija, Елена|Elena, Билјана|Biljana, Ивана|Ivana, Сања|Sanja, Катерина|Katerina",
        "Стојановски|Stojanovski, Николовски|Nikolovski, Трајковски|Trajkovski, "
        "Петровски|Petrovski, Димитриевски|Dimitrievski, Јовановски|Jovanovski",
        "Стојановска|Stojanovska, Николовска|Nikolovska, Трајковска|Trajkovska, "
        "Петровска|Petrovska, Димитриевска|Dimitrievska, Јовановска|Jovanovska",
        street="ул. Пример бр. {n}",
    ),
    "sl": _pool(
        "sl",
        "Luka, Matej, Jure, Rok, Gregor, Primož",
        "Maja, Nina, Špela, Tina, Urška, Mojca",
        "Novak, Horvat, Kovačič, Krajnc, Zupančič, Potočnik, Kos, Mlakar",
        street="Vzorčna ulica {n}",
    ),
    "uk": _pool(
        "uk",
        "Олександр|Oleksandr, Андрій|Andrii, Дмитро|Dmytro, Сергій|Serhii, "
        "Богдан|Bohdan, Тарас|Taras",
        "Олена|Olena, Наталія|Nataliia, Ірина|Iryna, Оксана|Oksana, Юлія|Yuliia, Марія|Mariia",
        "Шевченко|Shevchenko, Бондаренко|Bondarenko, Коваленко|Kovalenko, "
        "Ткаченко|Tkachenko, Савчук|Savchuk, Мельник|Melnyk, Бойко|Boiko, "
        "Поліщук|Polishchuk",
        street="вул. Прикладна, {n}",
    ),
    "ka": _pool(
        "ka",
        "გიორგი|Giorgi, დავით|Davit, ლევან|Levan, ნიკა|Nika, ირაკლი|Irakli, ლაშა|Lasha",
        "ნინო|Nino, თამარ|Tamar, მარიამ|Mariam, ანა|Ana, ეკა|Eka, ნათია|Natia",
        "ბერიძე|Beridze, კაპანაძე|Kapanadze, გელაშვილი|Gelashvili, "
        "მაისურაძე|Maisuradze, ლომიძე|Lomidze, ჯავახიშვილი|Javakhishvili, "
        "ხარაიშვილი|Kharaishvili, წიკლაური|Tsiklauri",
        street="ნიმუშის ქუჩა {n}",
    ),
    "ja": _pool(
        "ja",
        "太郎|Taro, 健|Ken, 大輔|Daisuke, 翔太|Shota, 浩二|Koji, 誠|Makoto",
        "花子|Hanako, 陽子|Yoko, 美咲|Misaki, 由美|Yumi, 恵|Megumi, さくら|Sakura",
        "佐藤|Sato, 鈴木|Suzuki, 高橋|Takahashi, 田中|Tanaka, 渡辺|Watanabe, 伊藤|Ito, "
        "山本|Yamamoto, 中村|Nakamura",
        street="千代田区霞が関9丁目{n}番",
        family_first=True,
    ),
    "he": _pool(
        "he",
        "דוד|David, יוסי|Yossi, אבי|Avi, משה|Moshe, נועם|Noam, איתי|Itai",
        "מיכל|Michal, נועה|Noa, תמר|Tamar, רונית|Ronit, שירה|Shira, יעל|Yael",
        "כהן|Cohen, לוי|Levi, מזרחי|Mizrahi, פרץ|Peretz, ביטון|Biton, אברהם|Avraham, "
        "פרידמן|Friedman, שפירא|Shapira",
        street="רחוב הדוגמה {n}",
    ),
    "et": _pool(
        "et",
        "Martin, Andres, Rasmus, Priit, Tanel, Marko",
        "Kadri, Liis, Kristiina, Triin, Maarja, Katrin",
        "Tamm, Saar, Sepp, Mägi, Kask, Kukk, Rebane, Mets",
        street="Näidise tn {n}",
    ),
    "lv": _pool(
        "lv",
        "Jānis, Andris, Mārtiņš, Edgars, Kristaps, Roberts",
        "Līga, Inese, Ilze, Kristīne, Anna, Laura",
        "Bērziņš, Kalniņš, Ozoliņš, Jansons, Liepiņš, Krūmiņš",
        "Bērziņa, Kalniņa, Ozoliņa, Jansone, Liepiņa, Krūmiņa",
        street="Parauga iela {n}",
    ),
    "lt": _pool(
        "lt",
        "Tomas, Mantas, Darius, Andrius, Paulius, Justas",
        "Rūta, Agnė, Ieva, Gintarė, Eglė, Laura",
        "Kazlauskas, Jankauskas, Petrauskas, Stankevičius, Vasiliauskas, Žukauskas",
        "Kazlauskienė, Jankauskienė, Petrauskienė, Stankevičienė, Vasiliauskienė, Žukauskienė",
        street="Pavyzdžio g. {n}",
    ),
    "fi": _pool(
        "fi",
        "Mikko, Juha, Timo, Antti, Jussi, Ville",
        "Anna, Laura, Johanna, Sanna, Heidi, Kaisa",
        "Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen",
        street="Esimerkkikatu {n}",
    ),
    "sv": _pool(
        "sv",
        "Erik, Lars, Anders, Johan, Karl, Mikael",
        "Anna, Maria, Karin, Sara, Emma, Elin",
        "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson",
        street="Exempelgatan {n}",
    ),
    "nb": _pool(
        "nb",
        "Ole, Lars, Henrik, Magnus, Kjetil, Espen",
        "Ingrid, Kari, Silje, Marte, Ida, Hanne",
        "Hansen, Johansen, Olsen, Larsen, Andersen, Berg, Haugen, Dahl",
        street="Eksempelveien {n}",
    ),
    "da": _pool(
        "da",
        "Mads, Søren, Rasmus, Frederik, Jesper, Anders",
        "Mette, Camilla, Louise, Sofie, Line, Pernille",
        "Jensen, Nielsen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen",
        street="Eksempelvej {n}",
    ),
    "is": _pool(
        "is",
        "Jón, Gunnar, Sigurður, Einar, Ólafur, Kristján",
        "Guðrún, Anna, Sigríður, Kristín, Helga, Margrét",
        "Jónsson, Gunnarsson, Sigurðsson, Einarsson, Ólafsson, Magnússon",
        "Jónsdóttir, Gunnarsdóttir, Sigurðardóttir, Einarsdóttir, Ólafsdóttir, Magnúsdóttir",
        street="Dæmigata {n}",
    ),
    "mt": _pool(
        "mt",
        "Joseph, Mark, Matthew, Karl, Luke, Clayton",
        "Maria, Rebecca, Claire, Roberta, Elaine, Nicole",
        "Borg, Camilleri, Vella, Farrugia, Zammit, Galea, Micallef, Grech",
        street="Triq l-Eżempju {n}",
    ),
    "tr": _pool(
        "tr",
        "Mehmet, Ahmet, Mustafa, Emre, Burak, Murat",
        "Ayşe, Fatma, Elif, Zeynep, Merve, Esra",
        "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Aydın, Öztürk",
        street="Örnek Sokak No: {n}",
    ),
    "ma": _pool(
        "ar",
        "Youssef, Mohamed, Hamza, Karim, Mehdi, Rachid",
        "Fatima Zahra, Salma, Imane, Khadija, Nadia, Meryem",
        "El Amrani, Benjelloun, Alaoui, Bennani, Tazi, El Idrissi, Berrada, Chraibi",
        street="{n}, avenue de l'Exemple",
    ),
    "tn": _pool(
        "ar",
        "Mohamed Amine, Ahmed, Sami, Walid, Hichem, Anis",
        "Amira, Ines, Sonia, Rim, Asma, Leila",
        "Ben Salah, Jaziri, Mejri, Gharbi, Ayari, Hammami, Chaabane, Dridi",
        street="{n}, rue de l'Exemple",
    ),
    "sn": _pool(
        "wo",
        "Mamadou, Ousmane, Cheikh, Abdoulaye, Moussa, Ibrahima",
        "Aminata, Fatou, Awa, Mariama, Khady, Ndeye",
        "Diop, Ndiaye, Fall, Sow, Diallo, Sarr, Faye, Gueye",
        street="{n}, rue de l'Exemple",
    ),
    "bj": _pool(
        "fr",
        "Romuald, Gildas, Cédric, Sènan, Florent, Hervé",
        "Afiavi, Carine, Gisèle, Mireille, Reine, Sèna",
        "Adjovi, Dossou, Agossou, Hounkpatin, Gbaguidi, Akpovi, Tossou, Kpadonou",
        street="{n}, rue de l'Exemple",
    ),
    "ci": _pool(
        "fr",
        "Yao, Kouassi, Konan, Serge, Didier, Aboubacar",
        "Adjoua, Aya, Affoué, Mariam, Christelle, Awa",
        "Kouamé, Koffi, N'Guessan, Touré, Bamba, Coulibaly, Kouadio, Yapi",
        street="{n}, rue de l'Exemple",
    ),
    "bf": _pool(
        "fr",
        "Issouf, Boukary, Salif, Hamidou, Arouna, Inoussa",
        "Mariam, Awa, Salimata, Alizèta, Rasmata, Bintou",
        "Ouédraogo, Sawadogo, Zongo, Traoré, Ilboudo, Nikiéma, Kiemtoré, Zoungrana",
        street="{n}, rue de l'Exemple",
    ),
    "ne": _pool(
        "ha",
        "Abdou, Moussa, Ibrahim, Souleymane, Hamadou, Oumarou",
        "Hadiza, Zeinabou, Mariama, Hawa, Rakia, Safiatou",
        "Maïga, Hamani, Garba, Issa, Souley, Boubacar, Abdoulaye, Seyni",
        street="{n}, rue de l'Exemple",
    ),
    "cm": _pool(
        "fr",
        "Jean-Pierre, Emmanuel, Serge, Hervé, Paul, Brice",
        "Marie-Claire, Sandrine, Brigitte, Carine, Nadège, Florence",
        "Mbarga, Nkoulou, Ngono, Atangana, Fotso, Tchoumi, Kamga, Essomba",
        street="{n}, rue de l'Exemple",
    ),
    "gh": _pool(
        "ak",
        "Kwame, Kofi, Kwabena, Yaw, Kwaku, Kojo",
        "Akua, Ama, Efua, Abena, Adwoa, Yaa",
        "Mensah, Owusu, Boateng, Asante, Osei, Appiah, Ofori, Agyeman",
        street="{n} Example Road",
    ),
    "yo": _pool(
        "yo",
        "Tunde, Oluwaseun, Femi, Kunle",
        "Funmilayo, Bisi, Yetunde",
        "Adeyemi, Balogun, Ogunleye, Adebayo",
        street="{n} Example Crescent",
    ),
    "ig": _pool(
        "ig",
        "Chinedu, Emeka, Obinna, Ikenna",
        "Ngozi, Chioma, Adaeze",
        "Okafor, Eze, Okonkwo, Nwosu",
        street="{n} Example Crescent",
    ),
    "ha": _pool(
        "ha",
        "Ibrahim, Musa, Abdullahi, Sani",
        "Aisha, Amina, Hauwa",
        "Abubakar, Bello, Danjuma, Yusuf",
        street="{n} Example Crescent",
    ),
    "ke": _pool(
        "sw",
        "Brian, Kevin, Dennis, Collins, Peter, Evans",
        "Wanjiru, Achieng, Njeri, Akinyi, Mercy, Faith",
        "Kamau, Otieno, Mwangi, Kiprop, Wafula, Njoroge, Odhiambo, Mutua",
        street="{n} Example Road",
    ),
    "mw": _pool(
        "ny",
        "Chikondi, Kondwani, Mphatso, Chimwemwe, Limbani, Yamikani",
        "Tiyamike, Thokozani, Chisomo, Mercy, Tadala, Madalitso",
        "Banda, Phiri, Mwale, Chirwa, Gondwe, Kamanga, Nyirenda, Kumwenda",
        street="{n} Example Road",
    ),
    "sle": _pool(
        "en",
        "Mohamed, Ibrahim, Abu, Alusine, Foday, Sahr",
        "Fatmata, Aminata, Isatu, Mariama, Hawa, Kadiatu",
        "Kamara, Sesay, Conteh, Bangura, Koroma, Turay, Mansaray, Jalloh",
        street="{n} Example Road",
    ),
    "zu": _pool(
        "zu",
        "Sipho, Bongani, Themba, Sibusiso, Mandla, Lwazi",
        "Nomvula, Thandeka, Zanele, Lindiwe, Nokuthula, Ayanda",
        "Dlamini, Nkosi, Ndlovu, Zulu, Mthembu, Khumalo, Ngcobo, Mkhize",
        street="{n} Example Street",
    ),
    "af": _pool(
        "af",
        "Johan, Pieter, Willem, Hendrik, Jacques, Riaan",
        "Anneke, Marike, Elmarie, Liesl, Carla, Annelie",
        "van der Merwe, Botha, Pretorius, du Plessis, Venter, Nel, Coetzee, Steyn",
        street="{n} Voorbeeldstraat",
    ),
    "fil": _pool(
        "fil",
        "Juan, Jose, Mark, Paolo, Rafael, Carlo",
        "Maria, Kristine, Joy, Angelica, Camille, Patricia",
        "Santos, Reyes, Cruz, Bautista, dela Cruz, Mendoza, Garcia, Villanueva",
        street="{n} Halimbawa Street",
    ),
    "si": _pool(
        "si",
        "Nuwan, Chaminda, Kasun, Ruwan, Lahiru, Dinesh",
        "Dilani, Nadeeka, Sanduni, Chathurika, Ishara, Nirmala",
        "Perera, Fernando, Silva, Jayasinghe, Wickramasinghe, Bandara, Dissanayake, Gunawardena",
        street="{n} Example Mawatha",
    ),
    "ta": _pool(
        "ta",
        "Suresh, Ravi, Karthik, Pradeep",
        "Priya, Kavitha, Nirosha",
        "Sivakumar, Rajendran, Thambiah, Selvaraj",
        street="{n} Example Mawatha",
    ),
    "mu": _pool(
        "mfe",
        "Rajesh, Vikash, Jean-Marc, Kevin, Yannick, Ashok",
        "Priya, Anjali, Marie-Claire, Nathalie, Vanessa, Deepa",
        "Ramdin, Beeharry, Seetohul, Lebon, Rivet, Appadoo, Ramsamy, Li Kwong",
        street="{n} Example Street",
    ),
    "pg": _pool(
        "tpi",
        "John, Peter, Joseph, Michael, Kila, Tony",
        "Mary, Grace, Rose, Janet, Esther, Ruth",
        "Kaupa, Kila, Wari, Yalu, Gawi, Kapi, Mone, Tau",
        street="Section {n}, Example Street",
    ),
    "fj": _pool(
        "en",
        "Josaia, Jone, Viliame, Semi, Tevita, Samuela",
        "Sereana, Mere, Litia, Ana, Salote, Vasemaca",
        "Naivalu, Waqa, Ravuvu, Koroi, Vuniwai, Nadolo, Tuivaga, Delana",
        street="{n} Example Road",
    ),
    "fj_hi": _pool(
        "hi",
        "Rajesh, Sanjay, Vinod, Anil",
        "Sunita, Shalini, Kamla",
        "Prasad, Kumar, Narayan, Sharma",
        street="{n} Example Road",
    ),
    "ki": _pool(
        "en",
        "Tebano, Taoaba, Ioane, Tiaon, Tekaai, Rimon",
        "Teretia, Mareta, Tinaai, Bwenaua, Rosita, Kiata",
        "Tabane, Teiwaki, Kaiea, Biribo, Tekeraoi, Aukitino, Tebau, Iotebwa",
        street="Example Road {n}, Bairiki",
    ),
    "to": _pool(
        "to",
        "Sione, Viliami, Tevita, Siaosi, Semisi, Lopeti",
        "Mele, Losana, Ana, Salote, Ofa, Lesieli",
        "Taufa, Fifita, Vaipulu, Havili, Latu, Moala, Helu, Fonua",
        street="Example Road {n}",
    ),
    "vu": _pool(
        "en",
        "Kalo, Joe, Jean, Willie, Moses, Tari",
        "Marie, Lily, Nelly, Annie, Leias, Rosina",
        "Naupa, Taleo, Bule, Tari, Vira, Kalo, Tabi, Moli",
        street="Rue de l'Exemple {n}",
    ),
    "py_gn": _pool(
        "gn",
        "Rubén, Osvaldo, Néstor, Ramón",
        "Liz, Rossana, Mirta",
        "Benítez, Giménez, Ayala, Villalba",
        street="Calle Ejemplo {n}",
    ),
    "pe_qu": _pool(
        "qu",
        "Wilber, Hilario, Feliciano, Yuri",
        "Yesenia, Flor, Nilda",
        "Mamani, Quispe, Huamán, Condori",
        street="Jirón Ejemplo {n}",
    ),
}

# --- Parties ---------------------------------------------------------------------------------
# iso2: (capital, IANA zone of the capital, name pools (the first gives the street),
#        official languages others may also speak)

_PARTIES: dict[str, tuple[str, str, str, str]] = {
    "AL": ("Tirana", "Europe/Tirane", "sq", "sq"),
    "AD": ("Andorra la Vella", "Europe/Andorra", "ca", "ca"),
    "AR": ("Buenos Aires", "America/Argentina/Buenos_Aires", "es", "es"),
    "AM": ("Yerevan", "Asia/Yerevan", "hy", "hy"),
    "AU": ("Canberra", "Australia/Sydney", "en", "en"),
    "AT": ("Vienna", "Europe/Vienna", "at", "de"),
    "AZ": ("Baku", "Asia/Baku", "az", "az"),
    "BE": ("Brussels", "Europe/Brussels", "nl_be fr", "nl fr de"),
    "BJ": ("Porto-Novo", "Africa/Porto-Novo", "bj", "fr"),
    "BA": ("Sarajevo", "Europe/Sarajevo", "bs hr", "bs hr sr"),
    "BR": ("Brasília", "America/Sao_Paulo", "br", "pt"),
    "BG": ("Sofia", "Europe/Sofia", "bg", "bg"),
    "CV": ("Praia", "Atlantic/Cape_Verde", "cv", "pt"),
    "CM": ("Yaoundé", "Africa/Douala", "cm", "fr en"),
    "CA": ("Ottawa", "America/Toronto", "en qc", "en fr"),
    "CL": ("Santiago", "America/Santiago", "es", "es"),
    "CO": ("Bogotá", "America/Bogota", "es", "es"),
    "CR": ("San José", "America/Costa_Rica", "es", "es"),
    "HR": ("Zagreb", "Europe/Zagreb", "hr", "hr"),
    "CY": ("Nicosia", "Asia/Nicosia", "el", "el tr"),
    "CZ": ("Prague", "Europe/Prague", "cs", "cs"),
    "CI": ("Abidjan", "Africa/Abidjan", "ci", "fr"),
    "DK": ("Copenhagen", "Europe/Copenhagen", "da", "da"),
    "DO": ("Santo Domingo", "America/Santo_Domingo", "es", "es"),
    "EC": ("Quito", "America/Guayaquil", "es", "es"),
    "EE": ("Tallinn", "Europe/Tallinn", "et", "et"),
    "FJ": ("Suva", "Pacific/Fiji", "fj fj_hi", "en"),
    "FI": ("Helsinki", "Europe/Helsinki", "fi", "fi sv"),
    "FR": ("Paris", "Europe/Paris", "fr", "fr"),
    "GE": ("Tbilisi", "Asia/Tbilisi", "ka", "ka"),
    "DE": ("Berlin", "Europe/Berlin", "de", "de"),
    "GH": ("Accra", "Africa/Accra", "gh", "en"),
    "GR": ("Athens", "Europe/Athens", "el", "el"),
    "GD": ("St. George's", "America/Grenada", "caribbean", "en"),
    "HU": ("Budapest", "Europe/Budapest", "hu", "hu"),
    "IS": ("Reykjavík", "Atlantic/Reykjavik", "is", "is"),
    "IL": ("Jerusalem", "Asia/Jerusalem", "he", "he ar"),
    "IT": ("Rome", "Europe/Rome", "it", "it"),
    "JP": ("Tokyo", "Asia/Tokyo", "ja", "ja"),
    "KI": ("South Tarawa", "Pacific/Tarawa", "ki", "en"),
    "LV": ("Riga", "Europe/Riga", "lv", "lv"),
    "LI": ("Vaduz", "Europe/Vaduz", "li", "de"),
    "LT": ("Vilnius", "Europe/Vilnius", "lt", "lt"),
    "LU": ("Luxembourg", "Europe/Luxembourg", "lb", "lb fr de"),
    "MT": ("Valletta", "Europe/Malta", "mt", "mt en"),
    "MU": ("Port Louis", "Indian/Mauritius", "mu", "en fr"),
    "ME": ("Podgorica", "Europe/Podgorica", "me", "sr-Latn"),
    "MA": ("Rabat", "Africa/Casablanca", "ma", "ar fr"),
    "NL": ("Amsterdam", "Europe/Amsterdam", "nl", "nl"),
    "NZ": ("Wellington", "Pacific/Auckland", "nz", "en mi"),
    "NG": ("Abuja", "Africa/Lagos", "yo ig ha", "en"),
    "MK": ("Skopje", "Europe/Skopje", "mk", "mk sq"),
    "NO": ("Oslo", "Europe/Oslo", "nb", "nb"),
    "PA": ("Panama City", "America/Panama", "es", "es"),
    "PY": ("Asunción", "America/Asuncion", "es py_gn", "es gn"),
    "PE": ("Lima", "America/Lima", "es pe_qu", "es"),
    "PH": ("Manila", "Asia/Manila", "fil", "fil en"),
    "PL": ("Warsaw", "Europe/Warsaw", "pl", "pl"),
    "PT": ("Lisbon", "Europe/Lisbon", "pt", "pt"),
    "MD": ("Chișinău", "Europe/Chisinau", "md", "ro"),
    "RO": ("Bucharest", "Europe/Bucharest", "ro", "ro"),
    "SM": ("San Marino", "Europe/San_Marino", "sm", "it"),
    "SN": ("Dakar", "Africa/Dakar", "sn", "fr"),
    "RS": ("Belgrade", "Europe/Belgrade", "sr", "sr"),
    "SL": ("Freetown", "Africa/Freetown", "sle", "en"),
    "SK": ("Bratislava", "Europe/Bratislava", "sk", "sk"),
    "SI": ("Ljubljana", "Europe/Ljubljana", "sl", "sl"),
    "ES": ("Madrid", "Europe/Madrid", "es", "es"),
    "LK": ("Colombo", "Asia/Colombo", "si ta", "si ta en"),
    "SE": ("Stockholm", "Europe/Stockholm", "sv", "sv"),
    "CH": ("Bern", "Europe/Zurich", "ch_de fr it", "de fr it"),
    "TO": ("Nuku'alofa", "Pacific/Tongatapu", "to", "to en"),
    "TR": ("Ankara", "Europe/Istanbul", "tr", "tr"),
    "UA": ("Kyiv", "Europe/Kyiv", "uk", "uk"),
    "GB": ("London", "Europe/London", "en", "en"),
    "US": ("Washington, D.C.", "America/New_York", "en", "en"),
    "BF": ("Ouagadougou", "Africa/Ouagadougou", "bf", "fr"),
    "GT": ("Guatemala City", "America/Guatemala", "es", "es"),
    "IE": ("Dublin", "Europe/Dublin", "ie", "en ga"),
    "KE": ("Nairobi", "Africa/Nairobi", "ke", "en sw"),
    "MW": ("Lilongwe", "Africa/Blantyre", "mw", "en"),
    "MX": ("Mexico City", "America/Mexico_City", "es", "es"),
    "NE": ("Niamey", "Africa/Niamey", "ne", "fr"),
    "PG": ("Port Moresby", "Pacific/Port_Moresby", "pg", "en tpi"),
    "ZA": ("Pretoria", "Africa/Johannesburg", "zu af", "en"),
    "TN": ("Tunis", "Africa/Tunis", "tn", "ar fr"),
    "VU": ("Port Vila", "Pacific/Efate", "vu", "en fr"),
}
_UNKNOWN_PARTY = ("Capital City", "UTC", "en", "en")  # a Party added to the CSV but not here

# Foreign languages people sometimes add; a repeated tag is likelier.
_FOREIGN_DEFAULT = ("fr", "fr", "de", "de", "es", "it", "ru", "pt")
_FOREIGN = {
    **dict.fromkeys(("AM", "AZ", "GE", "MD", "UA", "EE", "LV", "LT"), ("ru", "ru", "ru", "de")),
    **dict.fromkeys(
        ("AR", "CL", "CO", "CR", "DO", "EC", "PA", "PY", "PE", "GT", "MX"), ("pt", "fr", "it")
    ),
    **dict.fromkeys(("BJ", "BF", "CI", "NE", "SN", "CM", "MA", "TN"), ("es", "de", "ar")),
    **dict.fromkeys(("FJ", "KI", "TO", "VU", "PG"), ("fr", "ja", "zh")),
}

_HISTORY = ("DE", "FR", "JP", "UA")  # these also get a former designation, to show history

_UNITS = {
    "police": (
        "National Cybercrime Unit (demo)",
        "Cybercrime Directorate, National Police (demo)",
        "High-Tech Crime Unit, Criminal Police (demo)",
        "Computer Crime Investigation Department (demo)",
        "Cyber Police Department (demo)",
    ),
    "prosecution": (
        "Cybercrime Prosecution Service (demo)",
        "Office of the Prosecutor General — Cybercrime Section (demo)",
        "Public Prosecution Service — 24/7 Cyber Desk (demo)",
    ),
    "interpol_ncb": (
        "INTERPOL National Central Bureau — 24/7 Desk (demo)",
        "INTERPOL NCB — Cybercrime Liaison Desk (demo)",
    ),
    "other": (
        "National Cyber Coordination Centre (demo)",
        "Ministry of the Interior — Cybercrime Contact Office (demo)",
    ),
}
_KINDS = ("police",) * 11 + ("prosecution",) * 4 + ("interpol_ncb",) * 3 + ("other",) * 2
_TITLES = {
    "police": (
        "Head of Unit",
        (
            "Duty Officer",
            "Senior Investigator",
            "Investigator",
            "Digital Forensics Examiner",
            "Liaison Officer",
        ),
    ),
    "prosecution": (
        "Head of Section",
        ("Prosecutor", "Senior Prosecutor", "Duty Prosecutor", "Legal Officer", "Investigator"),
    ),
    "interpol_ncb": (
        "Head of NCB",
        ("Duty Officer", "Liaison Officer", "Criminal Analyst", "Senior Investigator"),
    ),
    "other": (
        "Head of Office",
        ("Duty Officer", "Cyber Analyst", "Liaison Officer", "Legal Adviser"),
    ),
}
MLA_AUTHORITY = "Ministry of Justice — Central Authority (demo)"
OFFICE_HOURS = [
    {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from_local": "09:00", "to_local": "17:00"}
]
DEFAULT_FROM = date(2020, 1, 1)

# --- phone numbers ---------------------------------------------------------------------------
# Ranges reserved for fiction, as (national prefix, number of digits to vary); used where
# libphonenumber accepts them as valid, before the example numbers.
_FICTIONAL = {
    ("US", PhoneNumberType.FIXED_LINE): ("20155501", 2),
    ("US", PhoneNumberType.MOBILE): ("20155501", 2),
    ("CA", PhoneNumberType.FIXED_LINE): ("61355501", 2),
    ("CA", PhoneNumberType.MOBILE): ("61355501", 2),
    ("GB", PhoneNumberType.FIXED_LINE): ("2079460", 3),
    ("AU", PhoneNumberType.FIXED_LINE): ("25550", 4),
    ("FR", PhoneNumberType.FIXED_LINE): ("19900", 4),
}
_STEP = 7919  # coprime with 10: stepping by it visits every ending once, in a scattered order
_KIND_NAMES = {PhoneNumberType.MOBILE: "mobile", PhoneNumberType.FIXED_LINE: "fixed_line"}


class _Phones:
    """Valid numbers of one region, unique in the document, drawn from the Party's rng."""

    def __init__(self, region: str, rng: random.Random, used: set[str]) -> None:
        self.region = region
        self.rng = rng
        self.used = used
        self.country_code = phonenumbers.country_code_for_region(region)

    def take(self, wanted: int) -> tuple[str, str] | None:
        """(E.164, kind) of the wanted PhoneNumberType, else the other type; None if neither."""
        other = (
            PhoneNumberType.FIXED_LINE
            if wanted == PhoneNumberType.MOBILE
            else PhoneNumberType.MOBILE
        )
        for kind in (wanted, other):
            number = self._draw(kind)
            if number:
                self.used.add(number)
                return number, _KIND_NAMES[kind]
        return None

    def _bases(self, kind: int) -> list[tuple[str, int]]:
        bases = []
        if (self.region, kind) in _FICTIONAL:
            bases.append(_FICTIONAL[(self.region, kind)])
        example = phonenumbers.example_number_for_type(self.region, kind)
        if example is not None:
            nsn = phonenumbers.national_significant_number(example)
            vary = min(4, len(nsn) - 2)
            bases.append((nsn[:-vary], vary))
        return bases

    def _draw(self, kind: int) -> str | None:
        for prefix, vary in self._bases(kind):
            size = 10**vary
            start = self.rng.randrange(size)
            for i in range(size):
                candidate = f"+{self.country_code}{prefix}{(start + i * _STEP) % size:0{vary}d}"
                if candidate not in self.used and self._fits(candidate, kind):
                    return candidate
        return None

    def _fits(self, e164: str, kind: int) -> bool:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return False
        return (
            phonenumbers.is_valid_number_for_region(number, self.region)
            and phonenumbers.number_type(number) in (kind, PhoneNumberType.FIXED_LINE_OR_MOBILE)
            and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164
        )


# --- the document ----------------------------------------------------------------------------

_ASCII = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "đ": "dj",
        "Đ": "Dj",
        "ł": "l",
        "Ł": "L",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "ə": "e",
        "Ə": "E",
        "œ": "oe",
        "Œ": "OE",
    }
)


def ascii_slug(text: str) -> str:
    """'Đorđević' -> 'djordjevic', "O'Brien" -> 'obrien', 'van der Merwe' -> 'vandermerwe'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "-"))


def _split(name: str) -> tuple[str, str]:
    """'native|latin' -> (native, latin); a Latin-script name is both."""
    native, _, latin = name.partition("|")
    return native, latin or native


def demo_document(parties: list[dict[str, Any]]) -> dict[str, Any]:
    """A full import document with fictional contact points and people for every Party."""
    used: set[str] = set()
    return {
        "format": FORMAT,
        "version": VERSION,
        "parties": [_demo_party(party, used) for party in parties],
    }


def _demo_party(party: dict[str, Any], used: set[str]) -> dict[str, Any]:
    iso2 = party["iso2"]
    rng = random.Random(f"art35-demo-{iso2}")  # noqa: S311 -- demo data, not security
    capital, zone, pool_keys, official = _PARTIES.get(iso2, _UNKNOWN_PARTY)
    pools = [_POOLS[key] for key in pool_keys.split()]
    phones = _Phones(iso2, rng, used) if iso2 in phonenumbers.SUPPORTED_REGIONS else None
    domain = iso2.lower()

    def fixed_line() -> str | None:
        taken = phones.take(PhoneNumberType.FIXED_LINE) if phones else None
        return taken[0] if taken else None

    def contact_point(kind: str, effective_from: date, effective_to: date | None) -> dict:
        return {
            "unit_name": rng.choice(_UNITS[kind]),
            "kind": kind,
            "address": f"{pools[0].street.format(n=rng.randint(1, 120))}, {capital}",
            "email": f"24-7@cyber.{domain}.example",
            "desk_phone": fixed_line(),
            "timezone": zone,
            "office_hours": [
                dict(window, weekdays=list(window["weekdays"])) for window in OFFICE_HOURS
            ],
            "can_order_preservation": rng.random() < 0.5,
            "mla_authority": {
                "name": MLA_AUTHORITY,
                "phone": fixed_line(),
                "email": f"mla@justice.{domain}.example",
            },
            "effective_from": effective_from.isoformat(),
            "effective_to": effective_to.isoformat() if effective_to else None,
        }

    base = (
        date.fromisoformat(party["in_force_date"]) if party.get("in_force_date") else DEFAULT_FROM
    )
    kind = rng.choice(_KINDS)
    contact_points = []
    if iso2 in _HISTORY:
        since = date(min(base.year + rng.randint(3, 8), 2024), rng.randint(1, 12), 1)
        if since <= base:
            since = date(base.year + 1, base.month, 1)
        former = rng.choice([k for k in _UNITS if k != kind])
        contact_points.append(contact_point(former, base, since))
        base = since
    contact_points.append(contact_point(kind, base, None))

    people = _demo_people(
        rng, pools, official.split(), _FOREIGN.get(iso2, _FOREIGN_DEFAULT), kind, domain, phones
    )
    return {**party, "contact_points": contact_points, "people": people}


def _demo_people(
    rng: random.Random,
    pools: list[_Pool],
    official: list[str],
    foreign: tuple[str, ...],
    kind: str,
    domain: str,
    phones: _Phones | None,
) -> list[dict[str, Any]]:
    head, titles = _TITLES[kind]
    count = rng.randint(3, 6)
    inactive = count > 3 and rng.random() < 0.15  # the last one has left the unit
    people: list[dict[str, Any]] = []
    emails: set[str] = set()
    for index in range(count):
        pool = pools[0] if index == 0 else rng.choice(pools)
        while True:
            female = rng.random() < 0.45
            first = rng.choice(pool.female if female else pool.male)
            surname_index = rng.randrange(len(pool.surnames))
            last = (pool.surnames_female if female and pool.surnames_female else pool.surnames)[
                surname_index
            ]
            (first_native, first_latin), (last_native, last_latin) = _split(first), _split(last)
            email = f"{ascii_slug(first_latin)}.{ascii_slug(last_latin)}@cyber.{domain}.example"
            if email not in emails:
                emails.add(email)
                break
        order = (1, 0) if pool.family_first else (0, 1)
        native = " ".join((first_native, last_native)[i] for i in order)
        latin = " ".join((first_latin, last_latin)[i] for i in order)
        full_name = native if native == latin else f"{native} ({latin})"

        person_phones = []
        wanted = PhoneNumberType.MOBILE if rng.random() < 0.75 else PhoneNumberType.FIXED_LINE
        for position in range(rng.choice((1, 2, 2))):
            taken = phones.take(wanted) if phones else None
            if taken:
                number, phone_kind = taken
                label = "duty mobile" if phone_kind == "mobile" else "office"
                person_phones.append(
                    {"number": number, "kind": phone_kind, "label": label, "primary": position == 0}
                )
            wanted = (
                PhoneNumberType.FIXED_LINE
                if wanted == PhoneNumberType.MOBILE
                else PhoneNumberType.MOBILE
            )

        people.append(
            {
                "full_name": full_name,
                "title": head if index == 0 else rng.choice(titles),
                "email": email,
                "timezone": None,
                "active": not (inactive and index == count - 1),
                "last_confirmed_at": None,
                "phones": person_phones,
                "languages": _languages(rng, pool.lang, official, foreign),
            }
        )
    return people


def _languages(
    rng: random.Random, native: str, official: list[str], foreign: tuple[str, ...]
) -> list[dict[str, str]]:
    languages = [{"tag": native, "level": "native"}]
    tags = {native}
    for tag in official:
        if tag in tags:
            continue
        if tag == "en" or rng.random() < 0.4:  # English as an official language: always
            languages.append({"tag": tag, "level": rng.choice(("fluent", "working"))})
            tags.add(tag)
    if "en" not in tags and rng.random() < 0.85:
        languages.append({"tag": "en", "level": rng.choice(("fluent", "working", "working"))})
        tags.add("en")
    extra = [tag for tag in foreign if tag not in tags]
    if extra and rng.random() < 0.3:
        languages.append({"tag": rng.choice(extra), "level": rng.choice(("working", "basic"))})
    return languages
