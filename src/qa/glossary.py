"""A small Spanish→English glossary of the profiles' vocabulary: child online safety,
education and ICT, organizations, law and statistics.

Dictionary-based query translation for cross-lingual lexical matching: a Spanish
question keeps its own words and gains the English words listed here, so BM25 and the
lexical answer features can meet the English profile ("corrupción de menores" meets
"corruption of minors"). Keys are folded (lower case, no accents); values are English
words, several where Spanish has one word for them. General vocabulary only.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    # people
    "nino": "child children", "ninos": "children child", "nina": "child girl", "ninas": "children girls",
    "infantil": "child children", "infancia": "childhood children", "menor": "minor child", "menores": "minors children",
    "adolescente": "adolescent teen", "adolescentes": "adolescents teens", "jovenes": "young youth", "joven": "young youth",
    "padres": "parents", "madres": "mothers parents", "familia": "family", "familias": "families",
    "maestro": "teacher", "maestros": "teachers", "maestra": "teacher", "maestras": "teachers",
    "profesor": "teacher", "profesores": "teachers", "docente": "teacher educator", "docentes": "teachers educators",
    "alumno": "student", "alumnos": "students", "estudiante": "student", "estudiantes": "students",
    "victima": "victim", "victimas": "victims", "delincuente": "offender", "delincuentes": "offenders",
    "agresor": "offender", "autor": "author", "autores": "authors", "usuario": "user", "usuarios": "users",
    "personas": "people persons", "gente": "people", "habitantes": "population people", "ciudadanos": "citizens",
    "policia": "police", "gobierno": "government", "presidente": "president", "secretaria": "secretariat secretary",
    "servidor": "servant", "funcionario": "official servant", "empresas": "companies", "empresa": "company",
    # education and technology
    "escuela": "school", "escuelas": "schools", "educacion": "education", "educativo": "educational",
    "educativa": "educational", "educativos": "educational", "ensenanza": "teaching", "aprendizaje": "learning",
    "aula": "classroom", "aulas": "classrooms", "salon": "classroom", "primaria": "primary elementary",
    "secundaria": "secondary junior high", "grado": "grade", "grados": "grades", "quinto": "fifth", "sexto": "sixth",
    "computadora": "computer laptop", "computadoras": "computers laptops", "laptop": "laptop", "laptops": "laptops",
    "portatil": "laptop", "portatiles": "laptops", "celular": "mobile phone", "celulares": "mobile phones",
    "telefono": "phone telephone", "telefonos": "phones", "movil": "mobile", "moviles": "mobile",
    "internet": "internet online", "red": "network", "redes": "networks", "linea": "online line",
    "digital": "digital", "digitales": "digital", "tecnologia": "technology", "tecnologias": "technologies",
    "habilidades": "skills", "competencias": "skills competency", "alfabetizacion": "literacy",
    "juegos": "games", "videojuegos": "video games", "videos": "videos", "pagina": "page website",
    "sitio": "site website", "web": "web website", "portal": "portal", "plataforma": "platform",
    "herramientas": "tools", "recursos": "resources", "materiales": "materials", "contenido": "content",
    "contenidos": "content", "capacitacion": "training", "formacion": "training", "diplomado": "diploma",
    "curso": "course", "centros": "centers", "centro": "center", "comunidades": "communities",
    "conectividad": "connectivity", "acceso": "access", "brecha": "divide gap", "inclusion": "inclusion",
    "cine": "cinema", "biblioteca": "library", "equipo": "equipment", "equipos": "equipment",
    # safety and crime
    "seguridad": "safety security", "seguro": "safe", "segura": "safe", "riesgo": "risk", "riesgos": "risks",
    "acoso": "bullying harassment", "ciberacoso": "cyberbullying", "bullying": "bullying", "hostigamiento": "harassment",
    "denunciar": "report", "denuncio": "report", "denuncia": "report reporting", "denuncias": "reports",
    "reportar": "report", "reporto": "report", "reporte": "report", "informe": "report", "ilegal": "illegal",
    "ilegales": "illegal", "delito": "crime offense", "delitos": "crimes offenses", "crimen": "crime",
    "ciberdelito": "cybercrime", "cibercrimen": "cybercrime", "pornografia": "pornography", "pornografico": "pornographic",
    "abuso": "abuse", "abusos": "abuses", "explotacion": "exploitation", "sexual": "sexual", "sexuales": "sexual",
    "turismo": "tourism", "trata": "trafficking", "trafico": "trafficking", "prostitucion": "prostitution",
    "violacion": "rape", "violador": "rape offender", "corrupcion": "corruption", "posesion": "possession",
    "poseer": "possess possession", "tener": "possess", "distribuir": "distribute", "vender": "sell",
    "comprar": "buy", "almacenar": "store", "producir": "production creating", "enganar": "deception",
    "engano": "deception", "fuerza": "force", "violencia": "violence", "coercion": "coercion",
    "proteccion": "protection", "proteger": "protect", "prevencion": "prevention", "prevenir": "prevent",
    # law
    "ley": "law", "leyes": "laws", "legal": "legal", "codigo": "code", "penal": "penal", "articulo": "article",
    "articulos": "articles", "pena": "penalty punishment sentence", "penas": "penalties", "castigo": "punishment",
    "castiga": "punishment crime", "sancion": "penalty", "multa": "fine", "multas": "fines", "carcel": "prison imprisonment",
    "prision": "prison imprisonment", "anos": "years", "ano": "year", "meses": "months", "dias": "days",
    "salario": "salary", "minimo": "minimum", "consentimiento": "consent", "edad": "age", "mayoria": "majority",
    "matrimonio": "marriage", "casarse": "marriage", "permiso": "consent", "tratamiento": "treatment",
    "psiquiatrico": "psychiatric", "trabajo": "job work", "puesto": "position job", "autoridad": "authority",
    # organizations and events
    "organizacion": "organization", "organizaciones": "organizations", "fundacion": "foundation",
    "alianza": "alliance", "programa": "program", "programas": "programs", "proyecto": "project",
    "proyectos": "projects", "iniciativa": "initiative", "estrategia": "strategy", "plan": "plan",
    "congreso": "congress", "evento": "event", "eventos": "events", "foro": "forum", "reunion": "meeting",
    "conferencia": "conference", "mesa": "roundtable", "dia": "day", "mision": "mission", "objetivo": "aim goal",
    "objetivos": "goals aims", "meta": "goal", "metas": "goals", "proposito": "purpose aim", "apoyo": "support",
    "apoyaron": "support supported", "fundo": "founded", "fundada": "founded", "fundador": "founded",
    "creo": "created launched", "lanzo": "launched", "lanzamiento": "launch", "anuncio": "announced",
    "miembros": "members", "miembro": "member", "paises": "countries", "pais": "country", "estados": "states",
    "estado": "state", "nacional": "national", "mundial": "world global", "internacional": "international",
    "investigacion": "research study", "estudio": "study", "estudios": "studies", "encuesta": "survey",
    "publico": "published public", "publicacion": "publication", "escribio": "wrote", "temas": "topics",
    "principios": "principles", "resolucion": "resolution", "comite": "committee",
    # statistics
    "poblacion": "population", "porcentaje": "percentage", "cuantos": "many", "cuantas": "many",
    "numero": "number", "cifra": "figure", "suscriptores": "subscribers", "suscripciones": "subscribers",
    "estadisticas": "statistics", "datos": "data statistics", "beneficiados": "benefited", "beneficio": "benefit",
    "beneficiaron": "benefited", "recibio": "received", "recibieron": "received", "entregaron": "delivery delivered",
    "primeros": "first", "primer": "first", "primera": "first",
}
